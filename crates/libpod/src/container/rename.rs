//! `rename`: a new name for a container.

use super::Container;
use crate::error::Result;
use crate::ids::validate_name;

impl Container<'_> {
    /// Gives the container a new name.
    pub fn rename(&mut self, new_name: &str) -> Result<()> {
        validate_name(new_name)?;
        let _guard = self.lock()?;
        let old = std::mem::replace(&mut self.config.name, new_name.to_string());
        if let Err(e) = self.rt.db.save_config(&self.config) {
            self.config.name = old;
            return Err(e);
        }
        self.event("rename");
        Ok(())
    }
}
