//! Extracts one layer tarball with the store's safe extractor, hashing it on the way:
//! `extract LAYER.tar[.gz|.zst] DEST` (DEST must not exist). Prints the diff ID.
//! Used by `bench/images.sh` to compare the extractor with GNU tar.

use std::fs::File;
use std::io::BufReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let (Some(layer), Some(dest)) = (args.next(), args.next()) else {
        return Err("usage: extract LAYER DEST".into());
    };
    std::fs::create_dir(&dest)?;
    let mut input = BufReader::with_capacity(1 << 20, File::open(&layer)?);
    let diff_id = storage::extract_layer_to(&mut input, dest.as_ref())?;
    println!("{diff_id}");
    Ok(())
}
