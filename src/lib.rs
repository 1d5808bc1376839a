pub use zarrkit_core::*;
