// Draw a structure on "Check a chemical": progressive enhancement only (the form works
// without it: type a name, CAS number, SMILES or molfile). With scripts on, the "Draw"
// button opens OpenChemLib's structure editor (served by FentGuard, /assets/openchemlib.js,
// from npm at the version pinned in crates/portal/vendor/); every change writes the
// drawing into the form as a molfile, which the server reads as any molfile.
import { CanvasEditor, Molecule } from '/assets/openchemlib.js';

const form = document.querySelector('form[data-draw]');
const input = document.getElementById('q');
const box = document.getElementById('editor');
const open = document.getElementById('draw');

if (form && input && box && open) {
  open.hidden = false;
  open.addEventListener('click', () => {
    open.hidden = true;
    box.hidden = false;
    const editor = new CanvasEditor(box.querySelector('.canvas'), { initialMode: 'molecule' });
    // Start from what the box holds, when it is a structure.
    const text = input.value.trim();
    if (text) {
      try {
        editor.setMolecule(text.includes('M  END') ? Molecule.fromMolfile(text) : Molecule.fromSmiles(text.split(/\s+/)[0]));
      } catch {
        // a name or CAS number: start from an empty sheet
      }
    }
    editor.setOnChangeListener(() => {
      const m = editor.getMolecule();
      if (m.getAllAtoms() > 0) input.value = m.toMolfile();
    });
    // For the browser tests, which draw through the editor's own interface.
    window.fentguardEditor = { editor, Molecule };
    box.querySelector('.canvas').focus();
  });
}
