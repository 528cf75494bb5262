//! Element symbols by atomic number: pymatgen's `species_string` of a plain element, which orders
//! the sites of a reduced cell (sorted by code point, so "C" < "Ca" < "Cl" < "Co").

/// Largest atomic number with a symbol.
pub const MAX_Z: u8 = 118;

const SYMBOLS: [&str; MAX_Z as usize] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K", "Ca",
    "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",
    "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce",
    "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir",
    "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm",
    "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc",
    "Lv", "Ts", "Og",
];

/// The symbol of element `z` (1 ≤ z ≤ 118; callers validate). Out-of-range numbers give "".
pub fn symbol(z: u8) -> &'static str {
    if z == 0 || z > MAX_Z {
        ""
    } else {
        SYMBOLS[z as usize - 1]
    }
}
