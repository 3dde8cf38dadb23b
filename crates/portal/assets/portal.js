// FentGuard's one script: progressive enhancement only, every form works without it.
//
// The new-application form (form[data-licence]) answers "licence needed?" as the goods
// are typed: the server renders the panel (GET data-licence?substance=...), this puts it
// in place. A later answer is never overwritten by an earlier one (seq); a failed request
// leaves the panel as it was (the form's Check button still works).
(function () {
  'use strict';
  var form = document.querySelector('form[data-licence]');
  var panel = document.getElementById('licence');
  if (!form || !panel) return;
  var names = ['substance', 'quantity', 'mixture', 'destination', 'planned_dispatch'];
  var timer = null;
  var seq = 0;
  function ask() {
    var q = new URLSearchParams();
    names.forEach(function (n) {
      var el = form.elements.namedItem(n);
      if (el) q.set(n, el.value);
    });
    var mine = ++seq;
    fetch(form.getAttribute('data-licence') + '?' + q.toString(), {
      credentials: 'same-origin',
      headers: { accept: 'text/html' }
    })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && mine === seq) panel.innerHTML = html;
      })
      .catch(function () {});
  }
  names.forEach(function (n) {
    var el = form.elements.namedItem(n);
    if (!el) return;
    el.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 300);
    });
  });
})();
