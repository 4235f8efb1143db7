//! `datasets.*`: the dataset maker (docs/datasets.md) — quota, limits and the worker's share.

use serde::{Deserialize, Serialize};

/// The dataset maker: how many images a person may ask for per day and how sets are made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetSettings {
    /// Images one person may ask for per product day, across all their sets.
    pub daily_images: u32,
    /// Lifetime of a set's Redis task record (progress), in seconds.
    pub task_ttl_secs: u64,
    /// Sets one inference replica makes at once (each on one blocking thread).
    pub workers: usize,
    /// Lifetime of a download link, in seconds (at most 900).
    pub download_url_ttl_secs: u64,
    /// Longest a GAN trains on one image, over all its scales, in seconds.
    pub gan_train_secs: f64,
    /// Most training iterations of one GAN scale.
    pub gan_iterations: usize,
    /// Scales of the GAN's pyramid (16 px up to 64 px).
    pub gan_scales: usize,
    /// Threads libtorch may use while training (0: as many as cores).
    pub gan_threads: usize,
}

impl Default for DatasetSettings {
    fn default() -> Self {
        DatasetSettings {
            daily_images: 5000,
            task_ttl_secs: 24 * 3600,
            workers: 1,
            download_url_ttl_secs: 600,
            gan_train_secs: 90.0,
            gan_iterations: 800,
            gan_scales: 4,
            gan_threads: 0,
        }
    }
}

impl DatasetSettings {
    /// Why these settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if !(1..=1_000_000).contains(&self.daily_images) {
            return Some("datasets.daily_images must be 1..=1000000".into());
        }
        if self.task_ttl_secs < 60 || self.workers == 0 {
            return Some("datasets.task_ttl_secs must be >= 60 and workers > 0".into());
        }
        if !(1..=900).contains(&self.download_url_ttl_secs) {
            return Some("datasets.download_url_ttl_secs must be 1..=900".into());
        }
        if self.gan_train_secs.is_nan()
            || self.gan_train_secs <= 0.0
            || self.gan_train_secs > 3600.0
            || self.gan_iterations == 0
            || !(2..=8).contains(&self.gan_scales)
        {
            return Some(
                "datasets.gan_train_secs must be in (0, 3600], gan_iterations > 0, gan_scales 2..=8"
                    .into(),
            );
        }
        None
    }
}

/// The dataset market's payments: which provider, and how its callbacks are checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentSettings {
    /// `local`: the development provider built into the api (a checkout endpoint that pays
    /// any amount and calls back over HTTP with an HMAC signature). The only one so far.
    pub provider: String,
    /// Where the provider sends its payment callbacks (the api's `/api/v1/payments/callback`);
    /// empty: this api process itself, `http://127.0.0.1:<http.api_port>/…`.
    pub callback_url: String,
    /// The HMAC-SHA256 key of callbacks: a secret, from `MOJI_PAYMENTS__WEBHOOK_SECRET` only.
    /// Empty: a random one per process (development only; production requires one).
    pub webhook_secret: String,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            provider: "local".into(),
            callback_url: String::new(),
            webhook_secret: String::new(),
        }
    }
}

impl PaymentSettings {
    /// Why these settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if self.provider != "local" {
            return Some(format!(
                "payments.provider must be local, got {:?}",
                self.provider
            ));
        }
        let absolute =
            self.callback_url.starts_with("http://") || self.callback_url.starts_with("https://");
        if !self.callback_url.is_empty() && !absolute {
            return Some("payments.callback_url must be an absolute URL".into());
        }
        None
    }
}
