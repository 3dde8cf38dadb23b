//! Size limits a structure must stay within before perception does any work on it.
//!
//! Perception and canonical ranking cost more than linear time in the worst case
//! (smallest-set-of-smallest-rings candidates, fused aromatic ring combinations, tie
//! breaking in canonical ranking), so a small adversarial input (a 2.5 KB ladder of
//! fused rings) could cost seconds and gigabytes. Every reader therefore checks these
//! limits on the graph as read, before rings are perceived, and refuses beyond them with
//! [`LimitExceeded`], which names the limit. The defaults are far above any molecule a
//! control regime deals with (fentanyl: 25 heavy atoms, 4 rings; vancomycin: 101 heavy
//! atoms; C60 fullerene: 31 rings in one system) and keep the worst case of every
//! reader and of canonical ranking within milliseconds.

use std::fmt;

/// Which limit a structure exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Heavy atoms (after explicit hydrogens are folded into their neighbours).
    Atoms,
    /// Rings in the whole structure (its cyclomatic number, the size of the SSSR).
    Rings,
    /// Rings in one fused ring system.
    RingSystemRings,
    /// Atoms in one fused ring system of more than one ring.
    RingSystemAtoms,
    /// Fused combinations of aromatic candidate rings tried in one ring system.
    AromaticCombinations,
}

impl Limit {
    /// The name of the setting (as in [`Limits`] and the command-line options).
    pub fn setting(self) -> &'static str {
        match self {
            Limit::Atoms => "max_atoms",
            Limit::Rings => "max_rings",
            Limit::RingSystemRings => "max_ring_system_rings",
            Limit::RingSystemAtoms => "max_ring_system_atoms",
            Limit::AromaticCombinations => "max_aromatic_combinations",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Limit::Atoms => "heavy atoms",
            Limit::Rings => "rings",
            Limit::RingSystemRings => "rings in one fused ring system",
            Limit::RingSystemAtoms => "atoms in one fused ring system",
            Limit::AromaticCombinations => {
                "fused aromatic ring combinations to try in one ring system"
            }
        }
    }
}

/// A structure beyond one of the [`Limits`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LimitExceeded {
    /// Which limit.
    pub limit: Limit,
    /// Its value.
    pub max: usize,
    /// What the structure has (at least this much: counting stops past the limit).
    pub found: usize,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the structure has {} {}, more than the limit of {} ({}); \
             larger structures are not judged",
            self.found,
            self.limit.what(),
            self.max,
            self.limit.setting()
        )
    }
}

/// The limits a reader enforces. [`Limits::default`] is what every reader uses unless
/// told otherwise; a command-line user may raise them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most heavy atoms.
    pub max_atoms: usize,
    /// Most rings in the structure (cyclomatic number).
    pub max_rings: usize,
    /// Most rings in one fused ring system.
    pub max_ring_system_rings: usize,
    /// Most atoms in one fused ring system of two or more rings.
    pub max_ring_system_atoms: usize,
    /// Most fused aromatic candidate ring combinations tried in one ring system.
    pub max_aromatic_combinations: usize,
}

impl Limits {
    /// The defaults (see the module documentation).
    pub const DEFAULT: Limits = Limits {
        max_atoms: 1_000,
        max_rings: 100,
        max_ring_system_rings: 40,
        max_ring_system_atoms: 250,
        max_aromatic_combinations: 20_000,
    };

    /// No limits at all (for structures built from already checked ones).
    pub const NONE: Limits = Limits {
        max_atoms: usize::MAX,
        max_rings: usize::MAX,
        max_ring_system_rings: usize::MAX,
        max_ring_system_atoms: usize::MAX,
        max_aromatic_combinations: usize::MAX,
    };

    /// `Err` when `found` is beyond the limit.
    pub(crate) fn check(&self, limit: Limit, found: usize) -> Result<(), LimitExceeded> {
        let max = match limit {
            Limit::Atoms => self.max_atoms,
            Limit::Rings => self.max_rings,
            Limit::RingSystemRings => self.max_ring_system_rings,
            Limit::RingSystemAtoms => self.max_ring_system_atoms,
            Limit::AromaticCombinations => self.max_aromatic_combinations,
        };
        if found > max {
            Err(LimitExceeded { limit, max, found })
        } else {
            Ok(())
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
