//! What an operation's output means (success or a failure message), and running one
//! operation with its panics caught so that the load test goes on.

use std::any::Any;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Display;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::task::Poll;

/// The output of a load-test operation: `()`, `bool` or `Result<T, E: Display>`.
///
/// `false`, an `Err` (its message grouped in the report) or a panic is a failed operation.
///
/// ```no_run
/// use cargo_perf::{perf_test, LoadTest};
///
/// #[perf_test(success_rate >= 99.0)]
/// fn mostly_ok(load: &mut LoadTest) {
///     load.concurrency(2).run(|ctx| async move {
///         if ctx.seq() % 1000 == 999 {
///             Err(format!("request {} timed out", ctx.seq()))
///         } else {
///             Ok(())
///         }
///     });
/// }
/// # fn main() {}
/// ```
pub trait IntoOutcome {
    /// `Ok` for a successful operation, else the failure's message (grouped in the report).
    fn into_outcome(self) -> Result<(), Cow<'static, str>>;
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Result<(), Cow<'static, str>> {
        Ok(())
    }
}

impl IntoOutcome for bool {
    fn into_outcome(self) -> Result<(), Cow<'static, str>> {
        if self {
            Ok(())
        } else {
            Err(Cow::Borrowed("returned false"))
        }
    }
}

impl<T, E: Display> IntoOutcome for Result<T, E> {
    fn into_outcome(self) -> Result<(), Cow<'static, str>> {
        self.map(|_| ()).map_err(|e| Cow::Owned(e.to_string()))
    }
}

/// Creates the operation's future and drives it, turning a panic in either step into a
/// failure. Polling happens inside `catch_unwind` so no extra allocation is needed.
pub(crate) async fn call<F, Fut>(make: &F, ctx: super::Ctx) -> Result<(), Cow<'static, str>>
where
    F: Fn(super::Ctx) -> Fut,
    Fut: Future,
    Fut::Output: IntoOutcome,
{
    let fut = match catch_unwind(AssertUnwindSafe(|| make(ctx))) {
        Ok(f) => f,
        Err(payload) => return Err(panic_message(&*payload)),
    };
    let mut fut = std::pin::pin!(fut);
    let polled = poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        },
    )
    .await;
    match polled {
        Ok(out) => out.into_outcome(),
        Err(payload) => Err(panic_message(&*payload)),
    }
}

/// [`call`], cancelled after `timeout` when one is given: the future is dropped and the
/// operation fails with the given message.
#[inline]
pub(crate) async fn call_timed<F, Fut>(
    make: &F,
    ctx: super::Ctx,
    timeout: Option<&(std::time::Duration, String)>,
) -> Result<(), Cow<'static, str>>
where
    F: Fn(super::Ctx) -> Fut,
    Fut: Future,
    Fut::Output: IntoOutcome,
{
    match timeout {
        None => call(make, ctx).await,
        Some((d, message)) => match tokio::time::timeout(*d, call(make, ctx)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Cow::Owned(message.clone())),
        },
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> Cow<'static, str> {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string payload".to_string()
    };
    Cow::Owned(format!("panicked: {text}"))
}

thread_local! {
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread (a load-test runtime thread) as one whose panics are caught and
/// reported per operation: printing each of a million panics would drown the terminal and
/// slow the run to the speed of stderr. Other threads keep the previous hook's behaviour.
pub(crate) fn quiet_panics_on_this_thread() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET_PANICS.with(|q| q.set(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Ctx;

    fn block<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn outputs_map_to_outcomes() {
        assert_eq!(().into_outcome(), Ok(()));
        assert_eq!(true.into_outcome(), Ok(()));
        assert_eq!(false.into_outcome(), Err(Cow::Borrowed("returned false")));
        assert_eq!(Ok::<u8, String>(3).into_outcome(), Ok(()));
        assert_eq!(
            Err::<(), _>("refused").into_outcome(),
            Err(Cow::Owned("refused".to_string()))
        );
    }

    #[test]
    fn panics_while_polling_or_creating_become_failures() {
        let polled = |c: Ctx| async move {
            tokio::task::yield_now().await;
            if c.seq() == 0 {
                panic!("boom {}", 7);
            }
        };
        let r = block(call(&polled, Ctx::new(0, 0)));
        assert_eq!(r, Err(Cow::Owned("panicked: boom 7".into())));
        let created = |_: Ctx| -> std::future::Ready<()> { panic!("at creation") };
        let r = block(call(&created, Ctx::new(0, 0)));
        assert_eq!(r, Err(Cow::Owned("panicked: at creation".into())));
        let fine = |c: Ctx| async move { c.seq() == 5 };
        assert_eq!(block(call(&fine, Ctx::new(1, 5))), Ok(()));
    }
}
