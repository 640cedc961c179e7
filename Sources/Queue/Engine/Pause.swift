// pause: sleep that ends early once a loop has been told to stop.

/// Sleeps up to `duration` in short steps, returning as soon as `stopped()` is true, so
/// long intervals (polls, heartbeats, elections) never delay a shutdown.
func pause(_ duration: Duration, unless stopped: () -> Bool) async {
    var waited = Duration.zero
    while waited < duration && !stopped() {
        let step = min(.milliseconds(50), duration - waited)
        try? await Task.sleep(for: step)
        waited += step
    }
}
