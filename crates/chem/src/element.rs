//! The periodic table facts the rest of the crate needs: symbols, average masses,
//! outer-shell electrons and the default valences used for implicit hydrogens.

use std::fmt;

/// A chemical element, by atomic number (0 is the SMILES wildcard `*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Element(pub u8);

const SYMBOLS: [&str; 119] = [
    "*", "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S",
    "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge",
    "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd",
    "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd",
    "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg",
    "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm",
    "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn",
    "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
];

/// Standard atomic weights (IUPAC abridged values; the mass number of the most stable
/// isotope for elements without a standard weight).
const MASSES: [f64; 119] = [
    0.0, 1.008, 4.0026, 6.94, 9.0122, 10.81, 12.011, 14.007, 15.999, 18.998, 20.180, 22.990,
    24.305, 26.982, 28.085, 30.974, 32.06, 35.45, 39.948, 39.098, 40.078, 44.956, 47.867, 50.942,
    51.996, 54.938, 55.845, 58.933, 58.693, 63.546, 65.38, 69.723, 72.630, 74.922, 78.971, 79.904,
    83.798, 85.468, 87.62, 88.906, 91.224, 92.906, 95.95, 98.0, 101.07, 102.91, 106.42, 107.87,
    112.41, 114.82, 118.71, 121.76, 127.60, 126.90, 131.29, 132.91, 137.33, 138.91, 140.12, 140.91,
    144.24, 145.0, 150.36, 151.96, 157.25, 158.93, 162.50, 164.93, 167.26, 168.93, 173.05, 174.97,
    178.49, 180.95, 183.84, 186.21, 190.23, 192.22, 195.08, 196.97, 200.59, 204.38, 207.2, 208.98,
    209.0, 210.0, 222.0, 223.0, 226.0, 227.0, 232.04, 231.04, 238.03, 237.0, 244.0, 243.0, 247.0,
    247.0, 251.0, 252.0, 257.0, 258.0, 259.0, 262.0, 267.0, 268.0, 269.0, 270.0, 269.0, 278.0,
    281.0, 282.0, 285.0, 286.0, 289.0, 290.0, 293.0, 294.0, 294.0,
];

impl Element {
    /// The wildcard atom `*`.
    pub const ANY: Element = Element(0);
    /// Hydrogen.
    pub const H: Element = Element(1);
    /// Boron.
    pub const B: Element = Element(5);
    /// Carbon.
    pub const C: Element = Element(6);
    /// Nitrogen.
    pub const N: Element = Element(7);
    /// Oxygen.
    pub const O: Element = Element(8);
    /// Fluorine.
    pub const F: Element = Element(9);
    /// Phosphorus.
    pub const P: Element = Element(15);
    /// Sulfur.
    pub const S: Element = Element(16);
    /// Chlorine.
    pub const CL: Element = Element(17);
    /// Bromine.
    pub const BR: Element = Element(35);
    /// Iodine.
    pub const I: Element = Element(53);

    /// Atomic number.
    pub fn number(self) -> u8 {
        self.0
    }

    /// Element from its symbol, case-sensitive as in SMILES brackets (`Cl`, not `CL`).
    pub fn from_symbol(sym: &str) -> Option<Element> {
        SYMBOLS
            .iter()
            .position(|s| *s == sym)
            .map(|i| Element(i as u8))
    }

    /// Element from a symbol in any case (`CL`, `cl`), as molfiles sometimes write them.
    pub fn from_symbol_any_case(sym: &str) -> Option<Element> {
        SYMBOLS
            .iter()
            .position(|s| s.eq_ignore_ascii_case(sym))
            .map(|i| Element(i as u8))
    }

    /// The element symbol.
    pub fn symbol(self) -> &'static str {
        SYMBOLS.get(self.0 as usize).copied().unwrap_or("*")
    }

    /// Standard atomic weight in g/mol.
    pub fn average_mass(self) -> f64 {
        MASSES.get(self.0 as usize).copied().unwrap_or(0.0)
    }

    /// Electrons in the outer shell (main-group elements; transition metals get their
    /// group number, which is what the aromaticity model needs, i.e. nothing).
    pub fn outer_electrons(self) -> u8 {
        let z = self.0;
        match z {
            0 => 0,
            1 => 1,
            2 => 2,
            3..=10 => z - 2,
            11..=18 => z - 10,
            19 | 20 => z - 18,
            21..=30 => z - 18,
            31..=36 => z - 28,
            37 | 38 => z - 36,
            39..=48 => z - 36,
            49..=54 => z - 46,
            55 | 56 => z - 54,
            81..=86 => z - 78,
            _ => 2,
        }
    }

    /// Allowed valences for the SMILES organic subset and for implicit-hydrogen
    /// assignment, smallest first. Empty for elements that get no implicit hydrogens.
    pub fn default_valences(self) -> &'static [u8] {
        match self.0 {
            1 => &[1],
            5 => &[3],
            6 => &[4],
            7 => &[3, 5],
            8 => &[2],
            9 | 17 | 35 | 53 => &[1],
            14 => &[4],
            15 => &[3, 5],
            16 => &[2, 4, 6],
            33 => &[3, 5],
            34 => &[2, 4, 6],
            52 => &[2, 4, 6],
            _ => &[],
        }
    }

    /// The first default valence, as RDKit's `getDefaultValence` (-1 if none).
    pub fn default_valence(self) -> i32 {
        self.default_valences().first().map_or(-1, |v| *v as i32)
    }

    /// Whether the symbol may be written without brackets in SMILES.
    pub fn in_organic_subset(self) -> bool {
        matches!(self.0, 5 | 6 | 7 | 8 | 9 | 15 | 16 | 17 | 35 | 53)
    }

    /// Halogen (F, Cl, Br, I, At).
    pub fn is_halogen(self) -> bool {
        matches!(self.0, 9 | 17 | 35 | 53 | 85)
    }

    /// Metals and metalloids that never belong to an organic parent.
    pub fn is_metal(self) -> bool {
        !matches!(
            self.0,
            0 | 1
                | 2
                | 5
                | 6
                | 7
                | 8
                | 9
                | 10
                | 14
                | 15
                | 16
                | 17
                | 18
                | 33
                | 34
                | 35
                | 36
                | 52
                | 53
                | 54
                | 85
                | 86
        )
    }

    /// RDKit's ordering used by its aromaticity model: more outer electrons wins, then
    /// the lighter element. Not a true electronegativity scale, deliberately.
    pub fn more_electronegative_than(self, other: Element) -> bool {
        let (a, b) = (self.outer_electrons(), other.outer_electrons());
        a > b || (a == b && self.0 < other.0)
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip() {
        for z in 0..=118u8 {
            let e = Element(z);
            assert_eq!(Element::from_symbol(e.symbol()), Some(e));
        }
        assert_eq!(Element::from_symbol("CL"), None);
        assert_eq!(Element::from_symbol_any_case("CL"), Some(Element::CL));
    }

    #[test]
    fn outer_electrons_of_main_group() {
        assert_eq!(Element::C.outer_electrons(), 4);
        assert_eq!(Element::N.outer_electrons(), 5);
        assert_eq!(Element::S.outer_electrons(), 6);
        assert_eq!(Element::BR.outer_electrons(), 7);
        assert_eq!(Element(34).outer_electrons(), 6);
        assert!(Element::O.more_electronegative_than(Element::C));
        assert!(Element::O.more_electronegative_than(Element::S));
        assert!(!Element::C.more_electronegative_than(Element::N));
    }
}
