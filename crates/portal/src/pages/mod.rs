//! One module per page.

pub mod check;
pub mod landing;
