//! The networks of one scale: five 3×3 convolutions each, so every output pixel sees an
//! 11×11 patch of its scale (the patch statistics the GAN learns).

use tch::{nn, nn::Module, Tensor};

fn conv(path: nn::Path, in_channels: i64, out_channels: i64) -> nn::Conv2D {
    nn::conv2d(
        path,
        in_channels,
        out_channels,
        3,
        nn::ConvConfig {
            padding: 1,
            ..Default::default()
        },
    )
}

/// LeakyReLU with slope 0.2.
fn leaky(x: &Tensor) -> Tensor {
    x.maximum(&(x * 0.2))
}

/// The convolutions in turn, LeakyReLU between them.
fn run(layers: &[nn::Conv2D], input: &Tensor) -> Tensor {
    let last = layers.len() - 1;
    let mut x = input.shallow_clone();
    for (i, layer) in layers.iter().enumerate() {
        x = layer.forward(&x);
        if i < last {
            x = leaky(&x);
        }
    }
    x
}

/// Five convolutions: 3 channels (an image) to `channels`, three of `channels`, then `out`.
fn layers(root: &nn::Path, channels: i64, out: i64) -> Vec<nn::Conv2D> {
    vec![
        conv(root / "head", 3, channels),
        conv(root / "body1", channels, channels),
        conv(root / "body2", channels, channels),
        conv(root / "body3", channels, channels),
        conv(root / "tail", channels, out),
    ]
}

/// A scale's generator: noise plus the upsampled image of the scale below in, that image plus
/// the details this scale adds out.
#[derive(Debug)]
pub struct Generator {
    layers: Vec<nn::Conv2D>,
}

impl Generator {
    pub fn new(root: &nn::Path, channels: i64) -> Self {
        Self {
            layers: layers(root, channels, 3),
        }
    }

    /// `tanh(net(input)) + prev`.
    pub fn forward(&self, input: &Tensor, prev: &Tensor) -> Tensor {
        run(&self.layers, input).tanh() + prev
    }
}

/// A scale's critic (WGAN): a map of realness scores, one per patch.
#[derive(Debug)]
pub struct Critic {
    layers: Vec<nn::Conv2D>,
}

impl Critic {
    pub fn new(root: &nn::Path, channels: i64) -> Self {
        Self {
            layers: layers(root, channels, 1),
        }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        run(&self.layers, x)
    }
}
