//! `wait`: block until the container reaches a condition, without holding
//! its lock in between checks.

use std::time::Duration;

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};

impl Container<'_> {
    /// Waits until the container's status is one of `conditions` (default:
    /// not running any more) and returns its exit code. A container removed
    /// meanwhile (`--rm`) still reports its code from the exit file.
    pub fn wait(&mut self, conditions: &[ContainerStatus]) -> Result<i32> {
        self.wait_checking(conditions, None)
    }

    /// [`Self::wait`], checking every `interval` (`wait --interval`).
    pub fn wait_polling(
        &mut self,
        conditions: &[ContainerStatus],
        interval: Duration,
    ) -> Result<i32> {
        self.wait_checking(conditions, Some(interval))
    }

    /// Checks at `interval`, or from 1 ms doubling up to 100 ms.
    fn wait_checking(
        &mut self,
        conditions: &[ContainerStatus],
        interval: Option<Duration>,
    ) -> Result<i32> {
        let default = [ContainerStatus::Stopped, ContainerStatus::Exited];
        let wanted: &[ContainerStatus] = if conditions.is_empty() {
            &default
        } else {
            conditions
        };
        let mut pause = Duration::from_millis(1);
        // Each check takes the lock, which syncs the state: the exit file,
        // or a monitor found dead (the container is then stopped), ends it.
        loop {
            let done = {
                match self.lock() {
                    Ok(_guard) => wanted.contains(&self.state.status),
                    Err(Error::NoSuchContainer(_)) => {
                        return monitor::read_exit_file(&self.exit_file())
                            .ok()
                            .flatten()
                            .map(|(code, _)| code)
                            .ok_or_else(|| Error::NoSuchContainer(self.id().to_string()));
                    }
                    Err(e) => return Err(e),
                }
            };
            if done {
                return Ok(self.state.exit_code);
            }
            match interval {
                Some(every) => std::thread::sleep(every),
                None => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
            }
        }
    }
}
