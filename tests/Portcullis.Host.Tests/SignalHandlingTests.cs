using Portcullis.Host.Native;

namespace Portcullis.Host.Tests;

public sealed class SignalHandlingTests
{
    [Fact]
    public async Task Sighup_is_reported_as_reload_and_does_not_end_the_process()
    {
        using var signals = new SignalHandling();
        HostSignal? raised = null;
        signals.Received += s => raised = s;
        Assert.Equal(0, Libc.Kill(Libc.GetPid(), Libc.SIGHUP));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(HostSignal.Reload, await signals.Signals.ReadAsync(timeout.Token));
        Assert.Equal(HostSignal.Reload, raised);
        Assert.False(signals.ShutdownRequested.IsCancellationRequested);
    }

    [Fact]
    public async Task Sighup_ignored_at_start_as_under_nohup_still_reloads()
    {
        // nohup sets SIGHUP to SIG_IGN, which exec keeps and the runtime leaves alone.
        Libc.Signal(Libc.SIGHUP, 1);
        using var signals = new SignalHandling();
        Assert.Equal(0, Libc.Kill(Libc.GetPid(), Libc.SIGHUP));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(HostSignal.Reload, await signals.Signals.ReadAsync(timeout.Token));
    }

    [Fact]
    public async Task Shutdown_cancels_the_token_and_is_queued()
    {
        using var signals = new SignalHandling();
        signals.Deliver(HostSignal.Shutdown);
        Assert.True(signals.ShutdownRequested.IsCancellationRequested);
        Assert.Equal(HostSignal.Shutdown, await signals.Signals.ReadAsync());
    }
}
