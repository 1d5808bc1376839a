//! One module per command. A command takes its argument struct and the [`crate::Ctx`] and
//! returns an [`crate::Outcome`] (text, JSON, exit code) or a [`crate::CliError`].

pub mod binary2zarr;
pub mod demo;
pub mod filter;
pub mod info;
pub mod ome;
pub mod plugins;
pub mod reencode;
pub mod tree;
pub mod validate;
