//! Draws every structure of a SMILES list into one HTML page (for looking at layouts).
fn main() {
    let file = std::env::args().nth(1).expect("a file of SMILES [name]");
    let mut html = String::from("<html><body style='display:flex;flex-wrap:wrap'>");
    for line in std::fs::read_to_string(file).unwrap().lines() {
        let smiles = line.split_whitespace().next().unwrap_or_default();
        let Ok(mol) = chem::smiles::parse(smiles) else {
            continue;
        };
        let Ok(layout) = chem::layout::layout(&mol) else {
            continue;
        };
        let r = chem::layout::readability(&mol, &layout);
        let d = documents::drawing::draw(&mol, &layout, &Default::default());
        html.push_str(&format!(
            "<div style='border:1px solid #ccc;margin:4px'><div style='font:10px sans-serif;max-width:300px'>{} {:.2} {} {:.2}</div>{}</div>",
            line.chars().take(60).collect::<String>(), r.closest, r.crossings, r.bond_spread, d.svg(smiles)
        ));
    }
    html.push_str("</body></html>");
    println!("{html}");
}
