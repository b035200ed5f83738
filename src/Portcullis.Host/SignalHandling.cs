using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Portcullis.Host;

/// <summary>What the daemon was asked to do by a signal.</summary>
public enum HostSignal
{
    /// <summary>SIGTERM or SIGINT: delete the SAs and exit.</summary>
    Shutdown,

    /// <summary>SIGHUP: reload the configuration.</summary>
    Reload,
}

/// <summary>
/// Turns SIGTERM, SIGINT and SIGHUP into values the daemon can act on, instead of letting the runtime exit at once:
/// <see cref="Signals"/> (a channel, in arrival order), <see cref="ShutdownRequested"/> (cancelled by the first
/// SIGTERM/SIGINT) and the <see cref="Received"/> event. A second SIGTERM/SIGINT is not cancelled, so the runtime's
/// default (exit) applies when a clean shutdown hangs.
/// </summary>
public sealed class SignalHandling : IDisposable
{
    private readonly Channel<HostSignal> _signals = Channel.CreateUnbounded<HostSignal>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly CancellationTokenSource _shutdown = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _shutdownCount;

    public SignalHandling()
    {
        // Started under nohup, SIGHUP is ignored, and the runtime leaves an ignored signal alone: reloading would
        // silently do nothing. A daemon that documents SIGHUP as reload takes it back.
        if (OperatingSystem.IsLinux()) Native.Libc.Signal(Native.Libc.SIGHUP, 0);
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, Handle),
        ];
    }

    /// <summary>Every signal received, in order.</summary>
    public ChannelReader<HostSignal> Signals => _signals.Reader;

    /// <summary>Cancelled when the first SIGTERM or SIGINT arrives.</summary>
    public CancellationToken ShutdownRequested => _shutdown.Token;

    /// <summary>Raised on the runtime's signal thread for each signal; keep handlers short.</summary>
    public event Action<HostSignal>? Received;

    private void Handle(PosixSignalContext context)
    {
        if (context.Signal == PosixSignal.SIGHUP)
        {
            context.Cancel = true;
            Deliver(HostSignal.Reload);
            return;
        }
        // The first TERM/INT starts a clean shutdown; a repeated one falls through to the default action.
        if (Interlocked.Increment(ref _shutdownCount) == 1)
        {
            context.Cancel = true;
            Deliver(HostSignal.Shutdown);
        }
    }

    /// <summary>Feeds a signal in as if it had arrived (tests, and a "stop" control command).</summary>
    public void Deliver(HostSignal signal)
    {
        Received?.Invoke(signal); // handlers first, so a channel reader sees their effects
        _signals.Writer.TryWrite(signal);
        if (signal == HostSignal.Shutdown && !_shutdown.IsCancellationRequested)
        {
            try { _shutdown.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _signals.Writer.TryComplete();
        _shutdown.Dispose();
    }
}
