//! Nondeterminism inside one step (`choose`, an extern's reply): a step is run once per
//! sequence of choices, and the sequence becomes part of the action so that a trace replays
//! exactly.

/// The choices of one run of a step: a prescribed prefix, then the first option each time.
#[derive(Debug)]
pub struct Choices {
    prefix: Vec<u32>,
    taken: Vec<u32>,
    arities: Vec<u32>,
    /// A prescribed choice was out of range (a trace that no longer fits the spec).
    pub invalid: bool,
}

impl Choices {
    pub fn new(prefix: Vec<u32>) -> Choices {
        Choices {
            prefix,
            taken: Vec::new(),
            arities: Vec::new(),
            invalid: false,
        }
    }

    /// Picks one of `n > 0` options. A single option is no choice and is not recorded.
    pub fn pick(&mut self, n: usize) -> usize {
        if n == 1 {
            return 0;
        }
        let pos = self.taken.len();
        let mut c = self.prefix.get(pos).copied().unwrap_or(0);
        if c as usize >= n {
            self.invalid = true;
            c = 0;
        }
        self.taken.push(c);
        self.arities.push(n as u32);
        c as usize
    }

    /// The choices made, in order.
    pub fn taken(&self) -> &[u32] {
        &self.taken
    }

    /// Did the run use exactly the prescribed choices?
    pub fn matches_prefix(&self) -> bool {
        !self.invalid && self.taken.len() == self.prefix.len()
    }

    /// The next choice sequence in depth-first order, if any.
    fn next(&self) -> Option<Vec<u32>> {
        let i = (0..self.taken.len())
            .rev()
            .find(|&i| self.taken[i] + 1 < self.arities[i])?;
        let mut prefix = self.taken[..i].to_vec();
        prefix.push(self.taken[i] + 1);
        Some(prefix)
    }
}

/// Runs `step` once for every sequence of choices it can make, in a fixed order; returns each
/// sequence with its result.
pub fn enumerate<T>(mut step: impl FnMut(&mut Choices) -> T) -> Vec<(Vec<u32>, T)> {
    let mut out = Vec::new();
    let mut prefix = Vec::new();
    loop {
        let mut choices = Choices::new(prefix);
        let result = step(&mut choices);
        let next = choices.next();
        out.push((choices.taken, result));
        match next {
            Some(p) => prefix = p,
            None => return out,
        }
    }
}

/// Runs `step` with exactly the given choices; `None` if they do not fit it.
pub fn replay<T>(choices: &[u32], step: impl FnOnce(&mut Choices) -> T) -> Option<T> {
    let mut c = Choices::new(choices.to_vec());
    let result = step(&mut c);
    c.matches_prefix().then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerates_every_sequence_of_a_tree_of_choices() {
        // First pick one of 2; on the second branch pick again one of 3.
        let runs = enumerate(|c| {
            let a = c.pick(2);
            let b = if a == 1 { c.pick(3) } else { 0 };
            (a, b)
        });
        let seqs: Vec<Vec<u32>> = runs.iter().map(|(s, _)| s.clone()).collect();
        assert_eq!(enumerate(|c| c.pick(1)).len(), 1);
        assert_eq!(replay(&[], |c| c.pick(1)), Some(0));
        assert_eq!(seqs, vec![vec![0], vec![1, 0], vec![1, 1], vec![1, 2]]);
        assert_eq!(replay(&[1, 2], |c| (c.pick(2), c.pick(3))), Some((1, 2)));
        assert_eq!(replay(&[1, 5], |c| (c.pick(2), c.pick(3))), None);
        assert_eq!(replay(&[1], |c| (c.pick(2), c.pick(3))), None);
    }
}
