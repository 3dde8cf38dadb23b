// FentGuard's pages in a real browser (issue 12 item 8): Debian's chromium driven by
// playwright-core, through each role's part of one export application, in English and
// in Chinese. Run by scripts/browser.sh, which starts a seeded server; see README
// "Develop". Every page visited is also checked for
//   - requests: none leaves FentGuard (no script, style, font or data from elsewhere);
//   - the console: no error (a Content-Security-Policy violation would be one);
//   - accessibility: axe-core finds no serious or critical violation;
// and photographed into $FG_SCREENSHOTS (one file per page and language).
//
// The JSON API (with the demo roles' tokens) is used only to read a case's state and
// its notification's id, never to take a step.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const base = process.env.FG_BASE ?? 'http://127.0.0.1:18095';
const shots = process.env.FG_SCREENSHOTS ?? '../docs/screenshots';
const tokens = JSON.parse(readFileSync(process.env.FG_TOKENS, 'utf8'));
// `demo seed` prints "  demo-<role>  <password>" lines on standard error.
const passwords = Object.fromEntries(
  readFileSync(process.env.FG_PASSWORDS, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length === 2 && w[0].startsWith('demo-')),
);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** What went wrong anywhere, reported together at the end of a check. */
const problems = [];

/** A browser context as one person in one language, watched for outside requests and console errors. */
async function person(locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1200, height: 900 } });
  context.on('request', (r) => {
    if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:')) {
      problems.push(`a page asked for ${r.url()} (outside FentGuard)`);
    }
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    // A 404 or 403 page is an expected answer of some steps, not an error of the page.
    if (m.type() === 'error' && !/status of 40[34]/.test(m.text())) {
      problems.push(`console error on ${page.url()}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  return { context, page };
}

/** Checks the page in view: its language, no untranslated message id, accessibility; then a screenshot. */
async function inspect(page, name, lang) {
  assert.equal(await page.getAttribute('html', 'lang'), lang, `${name}: page language`);
  const text = await page.innerText('body');
  // A Fluent id left as it is looks like "case-step-forward" (lower-case words and dashes).
  const leftover = text.match(/\b(?:case|work|check|sign|state|risk|role|audit|error|nav)-[a-z]+(?:-[a-z-]+)?\b/);
  assert.equal(leftover, null, `${name}: untranslated message id ${leftover}`);
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  for (const v of result.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      problems.push(`${name} (${lang}): axe ${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  }
  // JPEG: the screenshots are committed (docs/screenshots/), a tenth of the PNG's size.
  await page.screenshot({ path: `${shots}/${name}.${lang}.jpg`, fullPage: true, type: 'jpeg', quality: 70 });
}

/** What a scanner reads from a printed permit: the PDF rasterised (poppler's pdftoppm) and
 * its QR code decoded (zbar's zbarimg), both from Debian's packages. */
function scanned(pdf) {
  const base = pdf.replace(/\.pdf$/, '-scan');
  const quiet = { stdio: ['ignore', 'pipe', 'ignore'] };
  execFileSync('pdftoppm', ['-r', '200', '-png', '-singlefile', pdf, base], quiet);
  return execFileSync('zbarimg', ['-q', '--raw', `${base}.png`], quiet).toString().trim();
}

/** The JSON API as a demo role (for steps the portal has no page for yet). */
async function api(role, method, path, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const v = await r.json();
  assert.ok(r.ok, `${method} ${path} as ${role}: ${r.status} ${JSON.stringify(v)}`);
  return v;
}

async function signIn(page, role) {
  await page.goto(`${base}/sign-in`);
  await page.fill('#username', `demo-${role}`);
  await page.fill('#password', passwords[`demo-${role}`]);
  await Promise.all([page.waitForURL(`${base}/work`), page.click('form[action="/sign-in"] button[type=submit]')]);
}

async function signOut(page) {
  await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/sign-out"] button')]);
}

/** Takes the case page's `step` (with `text` where it asks for words); returns the page's URL after. */
async function step(page, step, text) {
  const form = page.locator(`form.step:has(input[name=step][value=${step}])`);
  assert.equal(await form.count(), 1, `step ${step} is offered on ${page.url()}`);
  if (text !== undefined) await form.locator('textarea').fill(text);
  await Promise.all([page.waitForURL(/\?done=/), form.locator('button[type=submit]').click()]);
  return page.url();
}

const state = async (id) => (await api('licensing_officer', 'GET', `/export-applications/${id}`)).state;

/** Fills the new-application form as an exporter would: goods, parties, shipment, documents. */
async function fillApplication(page) {
  const dispatch = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  // Typed, not filled at once: the live answer follows keystrokes.
  await page.locator('#substance').pressSequentially('N-phenethyl-4-piperidone');
  await page.locator('#quantity').pressSequentially('25 kg');
  await page.locator('#destination').pressSequentially('MX');
  await page.fill('#planned_dispatch', dispatch);
  for (const who of ['importer', 'consignee']) {
    await page.fill(`#${who}_name`, 'Quimica Demo SA de CV');
    await page.fill(`#${who}_address`, 'Av. Industria 10, Monterrey');
    await page.fill(`#${who}_country`, 'MX');
  }
  await page.fill('#point_of_exit', 'Shanghai');
  await page.fill('#point_of_entry', 'Manzanillo');
  await page.selectOption('#transport_mode', 'sea');
  await page.fill('#contract_reference', 'QS-2026-118');
  await page.fill('#end_use', 'synthesis of a licensed analgesic');
  const file = (name, text) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
  await page.setInputFiles('#document-contract', file('contract.txt', 'Sales contract QS-2026-118'));
  await page.setInputFiles('#document-importer_guarantee', file('guarantee.txt', 'Importer guarantee'));
}

/** One application through the pages in one language. */
async function journey(locale, lang) {
  // Anyone: the landing page and a chemical check, including a misspelt name.
  const anyone = await person(locale);
  let page = anyone.page;
  await page.goto(`${base}/`);
  await inspect(page, 'landing', lang);
  await page.click('main a[href="/check"]');
  await page.fill('#q', 'CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1');
  await page.click('form[action="/check"] button[type=submit]');
  await page.waitForSelector('section.answer');
  assert.ok((await page.locator('.status-controlled').count()) >= 2, 'fentanyl is controlled in CN and US');
  await inspect(page, 'check', lang);
  await page.fill('#q', 'fentanil');
  await page.click('form[action="/check"] button[type=submit]');
  await page.click('ul.suggestions a');
  await page.waitForSelector('section.answer');
  assert.ok((await page.locator('.status-controlled').count()) >= 2, 'the suggestion is fentanyl, controlled');
  await inspect(page, 'check-did-you-mean', lang);
  // Drawn in the structure editor (served by FentGuard): the drawing goes into the form
  // as a molfile, and the answer draws it again with each definition's regions marked.
  await page.goto(`${base}/check`);
  await page.click('#draw');
  await page.waitForFunction(() => window.fentguardEditor !== undefined);
  await page.evaluate(() => {
    const { editor, Molecule } = window.fentguardEditor;
    editor.setMolecule(Molecule.fromSmiles('CC(C)C(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1'));
    editor.moleculeChanged();
  });
  await page.waitForFunction(() => document.getElementById('q').value.includes('M  END'));
  await inspect(page, 'check-draw', lang);
  await page.click('form[action="/check"] button[type=submit]:not([formaction])');
  await page.waitForSelector('section.answer');
  assert.equal(await page.locator('.status-controlled').count(), 2, 'the drawn analogue is controlled in CN and US');
  assert.equal(await page.locator('svg.structure').count(), 2, 'drawn once per jurisdiction');
  assert.ok((await page.locator('ul.legend li').count()) >= 4, 'with a legend of its regions');
  await inspect(page, 'check-drawn', lang);
  // A whole file: uploaded, followed while it runs, its hits listed.
  await page.goto(`${base}/check/batch`);
  await page.setInputFiles('#file', {
    name: 'library.smi',
    mimeType: 'text/plain',
    buffer: Buffer.from('SMILES name\nCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1 fentanyl\nO=C1CCN(CCc2ccccc2)CC1 NPP\nCCO ethanol\nC1CC( broken\n'),
  });
  await Promise.all([page.waitForURL(/\/check\/batches\//), page.click('form[action="/check/batches"] button[type=submit]')]);
  // finished when the CSV is offered (the table shows while it runs, and it reloads)
  await page.waitForSelector('a[href$="/hits.csv"]', { timeout: 20000 });
  assert.equal(await page.locator('table.hits tbody tr').count(), 2, 'fentanyl and NPP are listed');
  assert.equal(await page.locator('ul.errors li').count(), 1, 'the broken line is reported');
  await inspect(page, 'check-batch', lang);
  // The language switch: the other language, on the same page.
  await page.goto(`${base}/check`);
  const other = lang === 'en' ? 'zh-CN' : 'en';
  await page.click(`nav.langs a[lang="${other}"]`);
  assert.equal(await page.getAttribute('html', 'lang'), other, 'the switch changes the language');
  await page.click(`nav.langs a[lang="${lang}"]`);
  await anyone.context.close();

  // The exporter files it through the new-application form; "licence needed?" is
  // answered live as the goods are typed.
  const exporter = await person(locale);
  await signIn(exporter.page, 'compliance_officer');
  await exporter.page.click('a[href="/applications/new"]');
  await exporter.page.waitForURL(`${base}/applications/new`);
  await fillApplication(exporter.page);
  await exporter.page.waitForSelector('#licence .apply-licence-required');
  await inspect(exporter.page, 'apply', lang);
  await Promise.all([
    exporter.page.waitForURL(/\/applications\/[^/]+\?done=submitted$/),
    exporter.page.click('button[name=action][value=submit]'),
  ]);
  const id = decodeURIComponent(new URL(exporter.page.url()).pathname.split('/').pop());
  const path = `${base}/applications/${id}`;
  assert.equal(await state(id), 'under_review');
  await inspect(exporter.page, 'case-submitted', lang);

  // The licensing officer finds it on My work and asks for information.
  const officer = await person(locale);
  page = officer.page;
  await signIn(page, 'licensing_officer');
  await inspect(page, 'work-officer', lang);
  await page.click(`a[href="/applications/${id}"]`);
  await inspect(page, 'case-officer', lang);
  assert.equal(await page.locator('form.step input[name=step][value=approve]').count(), 0, 'no approval before verification');
  await step(page, 'request_information', 'Send the end-user statement signed by the importer.');
  assert.equal(await state(id), 'awaiting_applicant');

  // A forged form (no token) changes nothing, even from the officer's own browser.
  const forged = await page.request.post(path, { form: { step: 'refuse', text: 'forged' }, maxRedirects: 0 });
  assert.equal(forged.status(), 403, 'a form without its token is refused');
  assert.equal(await state(id), 'awaiting_applicant');

  // The exporter reads the question and answers.
  await exporter.page.goto(path);
  assert.ok((await exporter.page.innerText('main')).includes('end-user statement'), 'the exporter reads the question');
  await inspect(exporter.page, 'case-exporter', lang);
  await step(exporter.page, 'provide_information', 'Signed statement sent by post on 2 December.');
  assert.equal(await state(id), 'under_review');

  // Another enterprise's user cannot open the case by its URL.
  const stranger = await person(locale);
  await signIn(stranger.page, 'other_compliance_officer');
  const denied = await stranger.page.goto(path);
  assert.equal(denied.status(), 404, "another enterprise's case is not found");
  assert.ok(!(await stranger.page.innerText('body')).toLowerCase().includes('phenethyl'), 'and tells nothing');
  await stranger.context.close();

  // The officer forwards it for international verification.
  await page.goto(path);
  await step(page, 'forward');
  assert.equal(await state(id), 'awaiting_importing_authority');

  // Public security finds the notification in its inbox and sends it.
  const app = await api('licensing_officer', 'GET', `/export-applications/${id}`);
  const pen = app.dossier.notification;
  assert.ok(pen, `a notification was made: ${JSON.stringify(app)}`);
  const police = await person(locale);
  await signIn(police.page, 'public_security_officer');
  await police.page.click('nav a[href="/notifications"]');
  await inspect(police.page, 'notifications-police', lang);
  await police.page.click(`a[href="/notifications/${pen}"]`);
  await inspect(police.page, 'notification-police', lang);
  await step(police.page, 'send');
  // ...and the notification to print, for an authority not on FentGuard.
  const [penPdf] = await Promise.all([
    police.page.waitForEvent('download'),
    police.page.click(`a[href="/notifications/${pen}/pdf"]`),
  ]);
  assert.match(penPdf.suggestedFilename(), /^pre-export-notification-.*\.pdf$/);
  if (process.env.FG_PERMITS) await penPdf.saveAs(`${process.env.FG_PERMITS}/../notification-${lang}.pdf`);
  await police.context.close();

  // Mexico's authority: the inbox, the notification with its art. 12(10) fields, the reply.
  const mexico = await person(locale);
  await signIn(mexico.page, 'foreign_authority_officer');
  await mexico.page.goto(`${base}/notifications`);
  await mexico.page.click(`a[href="/notifications/${pen}"]`);
  assert.ok((await mexico.page.innerText('main')).includes('Quimica Demo SA de CV'), 'the importer is named');
  await inspect(mexico.page, 'notification-foreign-authority', lang);
  await step(mexico.page, 'no_objection');
  await mexico.context.close();
  // The United States' authority does not see Mexico's notification.
  const usa = await person(locale);
  await signIn(usa.page, 'other_foreign_authority_officer');
  assert.equal((await usa.page.goto(`${base}/notifications/${pen}`)).status(), 404, "another country's notification");
  await usa.context.close();
  assert.equal(await state(id), 'verified');

  // Approval: a high-risk case (the first with a new importer) by two officers, one
  // proposing and a second confirming; a lower risk by one.
  await page.goto(path);
  const risk = (await api('licensing_officer', 'GET', `/export-applications/${id}`)).dossier.risk.level;
  const after = await step(page, 'approve');
  if (risk === 'high') {
    assert.match(after, /done=approval_proposed/, 'a high-risk case waits for a second officer');
    assert.equal(await state(id), 'verified');
    await signOut(page);
    await signIn(page, 'second_licensing_officer');
    await page.goto(path);
    await inspect(page, 'case-second-officer', lang);
    await step(page, 'approve');
  }
  assert.equal(await state(id), 'approved');
  await inspect(page, 'case-approved', lang);
  await signOut(page);
  await officer.context.close();

  // The exporter sees the decision on My work, and the permit's verification page.
  await exporter.page.goto(`${base}/work`);
  await inspect(exporter.page, 'work-exporter', lang);
  await exporter.page.goto(path);
  assert.equal(await exporter.page.locator('form.step').count(), 0, 'a decided case offers no step');
  await exporter.page.click('a[href^="/verify?"]');
  await exporter.page.waitForSelector('.standing.good');
  assert.ok((await exporter.page.innerText('main')).includes('Quimica Demo SA de CV'), 'the code shows the parties');
  await inspect(exporter.page, 'verify', lang);
  // ...and downloads the permit to print; scripts/browser.sh reads its QR code.
  await exporter.page.goto(path);
  const [download] = await Promise.all([
    exporter.page.waitForEvent('download'),
    exporter.page.click('a[href$="/pdf"]'),
  ]);
  const saved = process.env.FG_PERMITS
    ? `${process.env.FG_PERMITS}/permit-${lang}.pdf`
    : join(mkdtempSync(join(tmpdir(), 'fg-permit-')), `permit-${lang}.pdf`);
  await download.saveAs(saved);
  assert.match(download.suggestedFilename(), /^permit-.*\.pdf$/);
  const qr = scanned(saved);
  assert.match(qr, /\/verify\?number=/, 'the QR code opens the verification page');
  await exporter.context.close();
  const permit = (await api('licensing_officer', 'GET', `/export-applications/${id}`)).dossier.permit;

  // Customs looks the permit up, holds a wrong declaration, releases the right one and
  // confirms the exit.
  const customs = await person(locale);
  page = customs.page;
  await signIn(page, 'customs_officer');
  await page.click('nav a[href="/customs"]');
  const declare = async (kg, to) => {
    // the permit looked up as a scanner types its QR code into the box
    await page.fill('#permit', qr);
    await Promise.all([page.waitForURL(/\/customs\?permit=/), page.click('form[action="/customs"][method="get"] button')]);
    await page.fill('#exporter', 'Jiangsu Demo Fine Chemicals Co., Ltd.');
    await page.fill('#importer', 'Quimica Demo SA de CV');
    await page.fill('#substance', 'N-phenethyl-4-piperidone');
    await page.fill('#quantity_kg', kg);
    await page.fill('#destination', to);
    await Promise.all([page.waitForURL(/\/customs\/declarations\//), page.click('form[action="/customs"][method="post"] button')]);
  };
  await declare('40', 'US');
  await page.waitForSelector('.standing.bad');
  assert.equal(await page.locator('ul.reasons li').count() >= 2, true, 'each reason for the hold');
  await inspect(page, 'customs-held', lang);
  await page.click('a[href="/customs"]');
  await declare('25', 'MX');
  await page.waitForSelector('.standing.good');
  await inspect(page, 'customs-released', lang);
  await step(page, 'exit');
  await customs.context.close();

  // Mexico's authority: the goods arrived; it scans the permit and endorses what came.
  const importer = await person(locale);
  page = importer.page;
  await signIn(page, 'foreign_authority_officer');
  await page.click('nav a[href="/receipts"]');
  await page.fill('#permit', qr);
  await Promise.all([page.waitForURL(/\/receipts\?permit=/), page.click('form[action="/receipts"][method="get"] button')]);
  await page.fill('#received_kg', '25');
  await Promise.all([page.waitForURL(/done=endorsed/), page.click('form[action="/receipts"][method="post"] button')]);
  await inspect(page, 'receipts', lang);
  await importer.context.close();
  const verified = await (await fetch(`${base}/api/v1/permits/${permit}/verify`)).json();
  assert.equal(verified.status, 'exhausted', 'the shipment is made');
  return { id, risk };
}

let failed = false;
try {
  for (const [locale, lang] of [['en-GB', 'en'], ['zh-CN', 'zh-CN']]) {
    const { id, risk } = await journey(locale, lang);
    console.log(`journey in ${lang}: application ${id} (${risk} risk) approved through the pages`);
  }
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
}
for (const p of problems) console.error(p);
if (failed || problems.length > 0) process.exit(1);
console.log(`browser journey passed; screenshots in ${shots}`);
