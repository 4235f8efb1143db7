//! The steps of a face task and the progress each one reports: one table for the pipeline,
//! the worker and the step-duration metric.

/// A step of a face task. Its name is on the wire (the `step` of a task record and of its
/// events, which the web client shows) and labels the step-duration metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Fetching the upload from storage (set with the `running` state).
    Download,
    /// Checking and decoding the photo.
    Decode,
    /// Finding the faces.
    Detect,
    /// Reading each face's expression (and, for zodiac tasks, its features).
    Classify,
    /// Pasting the emoji (emoji tasks).
    Composite,
    /// Encoding the composite and its thumbnail (emoji tasks).
    Encode,
    /// Choosing the animal and the fortune (zodiac tasks).
    Zodiac,
    /// Writing the result files (emoji tasks).
    Store,
}

/// Progress of a finished task.
pub const DONE: u8 = 100;

impl Step {
    /// Every step.
    pub const ALL: [Step; 8] = [
        Step::Download,
        Step::Decode,
        Step::Detect,
        Step::Classify,
        Step::Composite,
        Step::Encode,
        Step::Zodiac,
        Step::Store,
    ];

    /// The step's name and the progress (0..=100) reported when it starts. An emoji task goes
    /// download, decode, detect, classify, composite, encode, store; a zodiac task download,
    /// decode, detect, classify, zodiac.
    const fn row(self) -> (&'static str, u8) {
        match self {
            Step::Download => ("download", 0),
            Step::Decode => ("decode", 10),
            Step::Detect => ("detect", 30),
            Step::Classify => ("classify", 50),
            Step::Composite => ("composite", 70),
            Step::Encode => ("encode", 85),
            Step::Zodiac => ("zodiac", 80),
            Step::Store => ("store", 95),
        }
    }

    /// The name clients and metrics see.
    pub const fn name(self) -> &'static str {
        self.row().0
    }

    /// The progress reported when the step starts.
    pub const fn progress(self) -> u8 {
        self.row().1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_wire_names() {
        let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "download",
                "decode",
                "detect",
                "classify",
                "composite",
                "encode",
                "zodiac",
                "store"
            ]
        );
    }

    #[test]
    fn progress_rises_along_each_kind_of_task() {
        use Step::*;
        for steps in [
            &[Download, Decode, Detect, Classify, Composite, Encode, Store][..],
            &[Download, Decode, Detect, Classify, Zodiac][..],
        ] {
            let progress: Vec<u8> = steps.iter().map(|s| s.progress()).collect();
            assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");
            assert!(progress.iter().all(|&p| p < DONE));
        }
    }
}
