//! The local writer: a GGUF model run in-process by llama.cpp (`llama-cpp-2`), its output held
//! to the course's JSON Schema by a grammar.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{send_logs_to_tracing, LogOptions};

use moji_common::course::CourseLanguage;

use crate::{grammar, prompt, CourseBrief, CourseWriter, LlmError, Provider};

/// How the local model generates.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalWriterOptions {
    /// Most tokens generated per call.
    pub max_tokens: u32,
    /// Wall-clock limit of one call, checked between tokens.
    pub timeout: Duration,
    /// Seed of the first attempt (attempt `n` uses `seed + n - 1`): the same brief gives the same
    /// text.
    pub seed: u32,
    /// Sampling temperature of the first attempt (0: greedy, the most coherent for a small model).
    pub temperature: f32,
    /// Sampling temperature of a retry, so it does not repeat the invalid answer.
    pub retry_temperature: f32,
    /// CPU threads reading the prompt; `None` uses every available core (at most 4).
    pub threads: Option<u16>,
    /// CPU threads generating, one token at a time. ggml's threads wait for each other by
    /// spinning, hundreds of times per token: when another process holds a core, a spinning
    /// thread waits out the scheduler's time slice at every one of those barriers (a 5 s course
    /// took over 30 s on a busy 2-core machine). One thread never waits; the prompt, a few
    /// large batches, still uses [`Self::threads`].
    pub generation_threads: u16,
}

impl Default for LocalWriterOptions {
    fn default() -> Self {
        LocalWriterOptions {
            max_tokens: 400,
            timeout: Duration::from_secs(30),
            seed: 20_260_501,
            temperature: 0.0,
            retry_temperature: 0.6,
            threads: None,
            generation_threads: 1,
        }
    }
}

/// The process's llama.cpp backend: initialised once (llama.cpp allows one), logs sent to
/// `tracing` (target `llama-cpp-2`) instead of stderr.
fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            send_logs_to_tracing(LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Llama(format!("backend: {e}")))
}

/// A GGUF instruction model loaded once; each call gets its own context. Calls take turns (one
/// generation at a time: llama.cpp may not create contexts of one model concurrently, and two
/// cores gain nothing from two generations).
pub struct LocalWriter {
    backend: &'static LlamaBackend,
    model: LlamaModel,
    template: LlamaChatTemplate,
    name: String,
    options: LocalWriterOptions,
    turn: Mutex<()>,
}

impl std::fmt::Debug for LocalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalWriter")
            .field("name", &self.name)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl LocalWriter {
    /// Loads the model at `path` (its own chat template, CPU only).
    pub fn load(path: &Path, options: LocalWriterOptions) -> Result<Self, LlmError> {
        if !path.is_file() {
            return Err(LlmError::ModelMissing {
                path: path.to_path_buf(),
            });
        }
        let backend = backend()?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| LlmError::Llama(format!("loading {}: {e}", path.display())))?;
        let template = model
            .chat_template(None)
            .map_err(|e| LlmError::Llama(format!("chat template: {e}")))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(LocalWriter {
            backend,
            model,
            template,
            name,
            options,
            turn: Mutex::new(()),
        })
    }

    /// The options it generates with.
    pub fn options(&self) -> &LocalWriterOptions {
        &self.options
    }

    fn generate(
        &self,
        brief: &CourseBrief,
        seed: u32,
        temperature: f32,
    ) -> Result<String, LlmError> {
        let _turn = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
        let started = Instant::now();
        let (example_user, example_answer) = prompt::example(brief.language);
        let messages = [
            ("system", prompt::system(brief)),
            ("user", example_user),
            ("assistant", example_answer),
            ("user", prompt::user(brief)),
        ]
        .into_iter()
        .map(|(role, content)| LlamaChatMessage::new(role.to_owned(), content))
        .collect::<Result<Vec<_>, _>>()
        .map_err(llama("chat message"))?;
        let text = self
            .model
            .apply_chat_template(&self.template, &messages, true)
            .map_err(llama("chat template"))?;
        let vocab = self.model.vocab();
        let tokens = vocab.tokenize(text.as_bytes(), true, true);
        let max_tokens = self.options.max_tokens.max(1);
        let n_ctx = u32::try_from(tokens.len())
            .unwrap_or(u32::MAX)
            .saturating_add(max_tokens)
            .saturating_add(8);
        if n_ctx > self.model.n_ctx_train() {
            return Err(LlmError::Llama(format!(
                "prompt of {} tokens + {max_tokens} exceeds the model's context",
                tokens.len()
            )));
        }
        let gbnf = grammar::local_grammar(brief, max_tokens)?;
        let threads = i32::from(self.options.threads.unwrap_or_else(default_threads).max(1));
        let generation_threads = i32::from(self.options.generation_threads.max(1));
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_ctx)
            .with_n_ubatch(n_ctx.min(512))
            .with_n_threads(generation_threads)
            .with_n_threads_batch(threads);
        let mut ctx = self
            .model
            .new_context(self.backend, params)
            .map_err(llama("context"))?;

        let mut batch = LlamaBatch::new(n_ctx as usize, 1);
        let last = tokens.len().saturating_sub(1);
        for (i, token) in tokens.iter().enumerate() {
            let pos = i32::try_from(i).map_err(llama("position"))?;
            batch
                .add(*token, pos, &[0], i == last)
                .map_err(llama("batch"))?;
        }
        ctx.decode(&mut batch).map_err(llama("prompt"))?;

        let mut sampler = Sampler {
            grammar: LlamaSampler::grammar(&self.model, &gbnf, "root").map_err(llama("grammar"))?,
            chain: LlamaSampler::chain_simple([
                LlamaSampler::penalties(self.model.n_vocab(), 64, 1.15, 0.0, 0.0),
                LlamaSampler::top_k(40),
                LlamaSampler::temp(temperature),
                LlamaSampler::dist(seed),
            ]),
            resampled: 0,
        };

        let mut out = Vec::with_capacity(max_tokens as usize * 4);
        let first = i32::try_from(tokens.len()).map_err(llama("position"))?;
        let budget = i32::try_from(max_tokens).map_err(llama("max_tokens"))?;
        let mut finished = false;
        let mut generated = 0u32;
        let prompt_done = started.elapsed();
        for pos in first..first.saturating_add(budget) {
            if started.elapsed() > self.options.timeout {
                return Err(LlmError::Timeout(self.options.timeout));
            }
            let token = sampler.sample(&ctx, batch.n_tokens() - 1)?;
            if vocab.is_eog(token) {
                finished = true;
                break;
            }
            generated += 1;
            vocab.token_to_piece_into(token, &mut out, false, None);
            batch.clear();
            batch.add(token, pos, &[0], true).map_err(llama("batch"))?;
            ctx.decode(&mut batch).map_err(llama("decode"))?;
        }
        tracing::debug!(
            prompt_tokens = tokens.len(),
            prompt_ms = prompt_done.as_millis() as u64,
            generated,
            resampled = sampler.resampled,
            finished,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "local model wrote a course"
        );
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Grammar-constrained sampling as llama.cpp's own `common_sampler` does it: sample from the
/// penalised, top-k, tempered distribution, and only when that token breaks the grammar apply
/// the grammar to the whole vocabulary and sample again (checking 49k tokens against the grammar
/// at every step is most of the cost otherwise).
struct Sampler {
    grammar: LlamaSampler,
    chain: LlamaSampler,
    /// Tokens sampled again under the grammar.
    resampled: u32,
}

impl Sampler {
    fn sample(&mut self, ctx: &LlamaContext<'_>, idx: i32) -> Result<LlamaToken, LlmError> {
        let mut candidates = ctx.token_data_array_ith(idx);
        candidates.apply_sampler(&mut self.chain);
        let token = match candidates.selected_token() {
            Some(token) if self.allows(token) => token,
            _ => {
                self.resampled += 1;
                let mut candidates = ctx.token_data_array_ith(idx);
                candidates.apply_sampler(&mut self.grammar);
                candidates.apply_sampler(&mut self.chain);
                candidates
                    .selected_token()
                    .ok_or_else(|| LlmError::Llama(String::from("the grammar allows no token")))?
            }
        };
        self.grammar.accept(token);
        self.chain.accept(token);
        Ok(token)
    }

    fn allows(&mut self, token: LlamaToken) -> bool {
        let mut one = LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 1.0, 0.0)], false);
        one.apply_sampler(&mut self.grammar);
        one.data.first().is_some_and(|d| d.logit().is_finite())
    }
}

/// Maps a llama.cpp error to [`LlmError::Llama`], saying what was being done.
fn llama<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> LlmError {
    move |e| LlmError::Llama(format!("{what}: {e}"))
}

fn default_threads() -> u16 {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4) as u16)
}

impl CourseWriter for LocalWriter {
    fn provider(&self) -> Provider {
        Provider::Local
    }

    fn model(&self) -> String {
        self.name.clone()
    }

    fn write(&self, brief: &CourseBrief) -> Result<String, LlmError> {
        self.generate(brief, self.options.seed, self.options.temperature)
    }

    /// English only: SmolLM2-135M's Korean is not Korean (measured: titles such as "남산공원
    /// 전시인 독", notes with times like "24:58"; docs/date-courses.md).
    fn writes(&self, language: CourseLanguage) -> bool {
        language == CourseLanguage::En
    }

    fn retry(&self, brief: &CourseBrief, attempt: u32) -> Result<String, LlmError> {
        let seed = self.options.seed.wrapping_add(attempt.saturating_sub(1));
        self.generate(brief, seed, self.options.retry_temperature)
    }
}
