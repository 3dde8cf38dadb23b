//! One module per page.

pub mod check;
pub mod landing;
pub mod signin;
pub mod work;
