use cargo_perf::{perf_test, Bencher};

struct Cache;

impl Cache {
    #[perf_test]
    fn get(&self) {}

    #[perf_test(args = [1])]
    fn put(b: &mut Bencher, this: &Self) {
        let _ = (b, this);
    }
}

fn main() {}
