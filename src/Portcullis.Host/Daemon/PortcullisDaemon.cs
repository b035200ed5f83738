using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Pki;
using Portcullis.Core.Logging;
using Portcullis.Core.Vici;
using Portcullis.Host.Control;
using Portcullis.Host.Net;
using Portcullis.Host.Tun;

namespace Portcullis.Host.Daemon;

/// <summary>Settings of <c>portcullis daemon</c>.</summary>
public sealed record DaemonOptions
{
    /// <summary>The swanctl.conf to load.</summary>
    public string ConfigPath { get; init; } = "/etc/portcullis/swanctl.conf";

    /// <summary>
    /// The strongswan.conf-style settings file (<c>--settings</c>), which must exist; null reads
    /// <see cref="DaemonSettingsLoader.DefaultPath"/> if it exists.
    /// </summary>
    public string? SettingsPath { get; init; }

    /// <summary>The control socket.</summary>
    public string SocketPath { get; init; } = ControlSocket.DefaultPath;

    /// <summary>Name of the TUN device carrying cleartext traffic.</summary>
    public string TunName { get; init; } = "pcl0";

    /// <summary>MTU of the TUN device (room for ESP, UDP and IP headers within 1500).</summary>
    public int TunMtu { get; init; } = 1400;

    /// <summary>
    /// The batched data plane: TUN offloads (TSO segmented in user space), UDP GSO sends and GRO receives, large socket
    /// buffers; false: one system call per packet each way, as before.
    /// </summary>
    public bool Offload { get; init; } = true;

    /// <summary>
    /// The mark bits (SO_MARK) on the daemon's IKE and ESP sockets: the policy rules that route a transport-mode peer's
    /// traffic into the TUN device match only packets without them (<see cref="TransportRouting"/>).
    /// </summary>
    public uint FwMark { get; init; } = DefaultFwMark;

    /// <summary>The default of <see cref="FwMark"/>: one bit that the usual users of marks (kube-proxy, Cilium, Calico, Tailscale, wg-quick) leave alone.</summary>
    public const uint DefaultFwMark = 0x1000;

    /// <summary>IKE port.</summary>
    public int IkePort { get; init; } = 500;

    /// <summary>NAT-T port.</summary>
    public int NatTraversalPort { get; init; } = 4500;

    /// <summary>File to append IKE SA keys to, for decrypting captures (debugging only; null: none).</summary>
    public string? KeyLogPath { get; init; }

    /// <summary>Log level.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>
    /// A second socket path serving the same protocols, e.g. strongSwan's default <c>/var/run/charon.vici</c> so that
    /// a plain <c>swanctl</c> finds the daemon without <c>--uri</c>; null: none.
    /// </summary>
    public string? ViciSocketPath { get; init; }

    /// <summary>
    /// Applies the settings file's log levels (strongSwan subsystem names and numbers from its filelog and syslog
    /// loggers) once the daemon has read it; null: the levels stay as the command line set them.
    /// </summary>
    public Action<IReadOnlyDictionary<string, int>>? ApplyLogLevels { get; init; }

    /// <summary>Where to serve Prometheus metrics over HTTP (<c>GET /metrics</c>); null: nowhere.</summary>
    public IPEndPoint? MetricsEndpoint { get; init; }
}

/// <summary>
/// The daemon: binds the IKE and NAT-T sockets, opens the TUN device, and runs the IKE engine on one loop that
/// receives IKE datagrams, control commands and timeouts. ESP is handled on the socket and TUN threads by
/// <see cref="EspDataPlane"/>. On SIGTERM/SIGINT it deletes its SAs and exits; SIGHUP reloads the configuration.
/// </summary>
public sealed partial class PortcullisDaemon
{
    private readonly DaemonOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly RateLimitedLog _sendFailures;
    private L2tpService? _l2tp;
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<(string Child, TaskCompletionSource<string?> Done)> _initiateWaiters = [];
    private IkeEngine? _engine;
    private EspDataPlane? _dataPlane;

    /// <summary>Receive and send buffer of the NAT-T socket: a few ms of ESP at several Gbit/s, so bursts are not dropped.</summary>
    private const int EspSocketBuffer = 8 << 20;
    private UdpEndpoint? _ike, _natT;
    // The IPv6 sockets: separate, IPv6-only (a dual-mode socket would show IPv4 peers as ::ffff:a.b.c.d, and their
    // NAT detection hashes would then be computed over the wrong bytes); null when the host has no IPv6.
    private UdpEndpoint? _ike6, _natT6;

    /// <summary>Creates the daemon; nothing is opened until <see cref="RunAsync"/>.</summary>
    public PortcullisDaemon(DaemonOptions options, ILoggerFactory loggers)
    {
        _options = options;
        // Every log line also feeds the VICI log and control-log events.
        var tap = new LogTapFactory(loggers);
        tap.Observer = OnLogLine;
        _loggers = tap;
        _log = tap.CreateLogger("daemon");
        // Answers to spoofed sources can fail one by one (no route): a flood must not turn into a line per packet.
        _sendFailures = new RateLimitedLog(_log);
    }

    /// <summary>Runs until a shutdown signal; returns the process exit code.</summary>
    public async Task<int> RunAsync(string version)
    {
        _version = version;
        _startedAt = DateTimeOffset.UtcNow;
        (DaemonSettings? settings, IReadOnlyList<ConfigError> settingsErrors, IReadOnlyList<ConfigError> settingsWarnings) =
            DaemonSettingsLoader.Load(_options.SettingsPath ?? DaemonSettingsLoader.DefaultPath, required: _options.SettingsPath is not null);
        if (settings?.LogLevels is { } logLevels) _options.ApplyLogLevels?.Invoke(logLevels);
        foreach (ConfigError w in settingsWarnings) DaemonLog.SettingsWarning(_log, w.ToString());
        if (settings is null)
        {
            foreach (ConfigError e in settingsErrors) DaemonLog.ConfigError(_log, e.ToString());
            return 1;
        }
        (PortcullisConfig? config, CredentialStore? credentials, IReadOnlyList<ConfigError> errors) = LoadConfiguration();
        if (config is null)
        {
            foreach (ConfigError e in errors) DaemonLog.ConfigError(_log, e.ToString());
            return 1;
        }
        using var signals = new SignalHandling();
        TunDevice tun;
        try
        {
            _ike = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Any, _options.IkePort), natTraversal: false);
            _natT = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Any, _options.NatTraversalPort), natTraversal: true);
            tun = TunDevice.Open(_options.TunName, _options.Offload);
            if (_options.Offload) _natT.TuneForEsp(EspSocketBuffer, gro: true);
        }
        catch (Exception e) when (e is SocketException or IOException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            DaemonLog.Failure(_log, "opening sockets and the TUN device (root needed)", e.Message);
            _ike?.Dispose();
            _natT?.Dispose();
            return 1;
        }
        using UdpEndpoint ikeSocket = _ike, natTSocket = _natT;
        (_ike6, _natT6) = BindIpv6();
        using UdpEndpoint? ike6Socket = _ike6, natT6Socket = _natT6;
        if (_options.Offload) natT6Socket?.TuneForEsp(EspSocketBuffer, gro: true);
        using TunDevice tunDevice = tun;
        IpResult configured = IpCommand.ConfigureTun(tun.Name, _options.TunMtu);
        if (!configured.Ok) DaemonLog.Failure(_log, $"configuring {tun.Name}", configured.ToString());
        DaemonLog.DataPlaneOffloads(_log, tun.Name, tun.SegmentationOffload ? "on" : "off", natTSocket.GroEnabled ? "on" : "off",
            _options.Offload ? "on" : "off");

        IkeEngineOptions engineOptions = settings.ApplyTo(new IkeEngineOptions
        {
            IkePort = _options.IkePort,
            NatTraversalPort = _options.NatTraversalPort,
            SourceAddressFor = SourceAddressFor,
            LastInboundEsp = spi => _dataPlane?.LastInbound(spi),
            KeyLog = _options.KeyLogPath is { } keyLog ? (sa, keys) => KeyLogWriter.Append(keyLog, sa, keys) : null,
            Ikev1KeyLog = _options.KeyLogPath is { } keyLog1 ? (sa, key, keys) => KeyLogWriter.AppendIkev1(keyLog1, sa, key, keys) : null,
        });
        DaemonLog.Settings(_log, _options.SettingsPath ?? $"{DaemonSettingsLoader.DefaultPath} (if present)", engineOptions.RetransmitTries, engineOptions.RetransmitTimeout.TotalSeconds,
            engineOptions.RetransmitBase, engineOptions.RetransmitLimit.TotalSeconds, engineOptions.HalfOpenTimeout.TotalSeconds, engineOptions.FragmentSize);
        if (_options.KeyLogPath is not null) DaemonLog.KeyLogEnabled(_log, _options.KeyLogPath);
        _engine = new IkeEngine(config, engineOptions, _loggers.CreateLogger("ike")) { Credentials = credentials! };
        RawEspSocket? raw = null;
        try { raw = RawEspSocket.Open(); }
        catch (System.ComponentModel.Win32Exception e) { DaemonLog.Failure(_log, "opening the raw ESP socket (plain ESP unavailable)", e.Message); }
        using RawEspSocket? rawSocket = raw;
        RawEspSocket? raw6 = null;
        if (natT6Socket is not null)
        {
            try { raw6 = RawEspSocket.Open(AddressFamily.InterNetworkV6); }
            catch (System.ComponentModel.Win32Exception e) { DaemonLog.Failure(_log, "opening the IPv6 raw ESP socket (plain ESP over IPv6 unavailable)", e.Message); }
        }
        using RawEspSocket? raw6Socket = raw6;
        // AH (IP protocol 51) only when a child asks for it: its socket receives every AH packet the host gets.
        RawEspSocket? rawAh = null;
        if (config.Connections.Any(c => c.Children.Any(ch => ch.UsesAh)))
        {
            try { rawAh = RawEspSocket.Open(AddressFamily.InterNetwork, RawEspSocket.IpProtoAh); }
            catch (System.ComponentModel.Win32Exception e) { DaemonLog.Failure(_log, "opening the raw AH socket (AH unavailable)", e.Message); }
        }
        using RawEspSocket? rawAhSocket = rawAh;
        using TransportRouting? transportRouting = OpenTransportRouting(settings, tun.Name, [ikeSocket, natTSocket, ike6Socket, natT6Socket], [raw, raw6, rawAh]);
        using var dataPlane = new EspDataPlane(tun, natTSocket, raw, _loggers.CreateLogger("esp"),
            spi => _work.Writer.TryWrite(() => _engine!.ChildSaInboundUsed(DateTimeOffset.UtcNow, spi)),
            (spi, hard) => _work.Writer.TryWrite(() => _engine!.ChildSaLimitReached(DateTimeOffset.UtcNow, spi, hard)))
        {
            MssClampMtu = _options.TunMtu,
            NatT6 = natT6Socket,
            Raw6 = raw6,
            RawAh = rawAh,
            // The ESP's own path: with the sockets' mark, so a transport-mode peer's rule does not point at the TUN device.
            OuterMtuFor = transportRouting is { } marked ? address => IpCommand.PathMtu(address, marked.Mark) : IpCommand.PathMtu,
            Batching = _options.Offload,
            TransportRouting = transportRouting,
        };
        _dataPlane = dataPlane;
        if (_options.KeyLogPath is { } espKeyLog) dataPlane.KeyLog = child => KeyLogWriter.AppendEsp(espKeyLog, child);
        using var l2tp = new L2tpService(dataPlane, tun, () => _engine!.Config, _engine.Pools, item => _work.Writer.TryWrite(item), _loggers);
        _l2tp = l2tp;
        dataPlane.TunHook = l2tp.OnTunPacket;
        using UdpEndpoint? cleartextL2tp = OpenCleartextL2tpTrap(config, IPAddress.Any);
        using UdpEndpoint? cleartextL2tp6 = natT6Socket is null ? null : OpenCleartextL2tpTrap(config, IPAddress.IPv6Any);

        ikeSocket.Start(OnDatagram, e => DaemonLog.Failure(_log, "IKE socket", e.Message));
        natTSocket.BatchEnd = dataPlane.OnEspBatchEnd;
        natTSocket.Start(OnDatagram, e => DaemonLog.Failure(_log, "NAT-T socket", e.Message));
        ike6Socket?.Start(OnDatagram, e => DaemonLog.Failure(_log, "IPv6 IKE socket", e.Message));
        natT6Socket?.Start(OnDatagram, e => DaemonLog.Failure(_log, "IPv6 NAT-T socket", e.Message));
        tun.Start(dataPlane.OnTunPacket, dataPlane.OnTunIdle, e => DaemonLog.Failure(_log, "TUN reader", e.Message));
        raw?.Start(dataPlane.OnEspDatagram, e => DaemonLog.Failure(_log, "raw ESP socket", e.Message));
        raw6?.Start(dataPlane.OnEspDatagram, e => DaemonLog.Failure(_log, "IPv6 raw ESP socket", e.Message));
        rawAh?.Start(dataPlane.OnAhPacket, e => DaemonLog.Failure(_log, "raw AH socket", e.Message));

        await using var control = new ControlSocket(_options.SocketPath, HandleControlAsync) { Vici = this };
        control.Start();
        await using ControlSocket? viciSocket = _options.ViciSocketPath is { } viciPath ? new ControlSocket(viciPath, HandleControlAsync) { Vici = this } : null;
        viciSocket?.Start();
        MetricsEndpoint? metrics = null;
        if (_options.MetricsEndpoint is { } metricsAt)
        {
            metrics = new MetricsEndpoint(metricsAt, RenderMetricsAsync);
            try { metrics.Start(); }
            catch (SocketException e)
            {
                DaemonLog.Failure(_log, $"serving metrics on {metricsAt}", e.Message);
                return 1;
            }
            DaemonLog.MetricsServing(_log, metrics.LocalEndpoint.ToString());
        }
        await using MetricsEndpoint? metricsEndpoint = metrics;
        DaemonLog.Started(_log, version, _options.ConfigPath, config.Connections.Count, _options.IkePort, _options.NatTraversalPort, tun.Name, _options.SocketPath);
        LogCompat(config);

        dataPlane.SetTraps(config, Acquire);
        using AddressMonitor? addresses = StartAddressMonitor(tun.Name);
        _engine.StartConfigured(DateTimeOffset.UtcNow);
        Flush();
        // Type=notify: systemd counts the service as started once the sockets and the control socket are up.
        SystemdNotify.Notify($"READY=1\nSTATUS={config.Connections.Count} connections loaded");

        string stopSignal = await RunLoopAsync(signals);

        // Shutdown: DELETE every IKE SA, wait briefly for the answers, then go.
        DaemonLog.ShuttingDown(_log, stopSignal, _engine.IkeSas.Count);
        SystemdNotify.Notify("STOPPING=1");
        l2tp.Dispose();
        _engine.TerminateAll(DateTimeOffset.UtcNow, $"daemon stopping ({stopSignal})");
        Flush();
        DateTimeOffset deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
        while (_engine.IkeSas.Count > 0 && DateTimeOffset.UtcNow < deadline)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            try { await _work.Reader.WaitToReadAsync(wait.Token); } catch (OperationCanceledException) { }
            while (_work.Reader.TryRead(out Action? item)) Guarded(item);
            Guarded(Flush);
        }
        dataPlane.Dispose();
        DaemonLog.Stopped(_log);
        return 0;
    }

    private async Task<string> RunLoopAsync(SignalHandling signals)
    {
        Task<bool> signalWait = signals.Signals.WaitToReadAsync().AsTask();
        while (true)
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            DateTimeOffset? due = _engine!.NextTimeout;
            if (_l2tp?.NextTimeout is { } l2tpDue && (due is null || l2tpDue < due)) due = l2tpDue;
            TimeSpan delay = due is { } t ? t - now : TimeSpan.FromSeconds(1);
            if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
            if (delay > TimeSpan.FromSeconds(1)) delay = TimeSpan.FromSeconds(1);
            Task<bool> workWait = _work.Reader.WaitToReadAsync().AsTask();
            await Task.WhenAny(workWait, signalWait, Task.Delay(delay));
            // Send after each item: flushing once per batch held every answer until the whole queue was done, so a
            // burst of IKE_SA_INITs got its responses late and all at once, overflowing the peer's receive buffer.
            while (_work.Reader.TryRead(out Action? item)) { Guarded(item); Guarded(Flush); }
            Guarded(() => _engine.HandleTimeout(DateTimeOffset.UtcNow));
            if (_l2tp is { } l2tp) Guarded(() => l2tp.HandleTimeout(DateTimeOffset.UtcNow));
            _sendFailures.Flush(DateTimeOffset.UtcNow);
            Guarded(Flush);
            if (signalWait.IsCompleted)
            {
                while (signals.Signals.TryRead(out HostSignal signal))
                {
                    if (signal == HostSignal.Reload) Reload();
                    else return signal.ToString();
                }
                signalWait = signals.Signals.WaitToReadAsync().AsTask();
            }
        }
    }

    /// <summary>
    /// One step of the loop. The engines answer bad input with results, not exceptions; should one escape all the
    /// same (a bug), it is logged and the daemon goes on with every other SA untouched.
    /// </summary>
    private void Guarded(Action step)
    {
        try { step(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            DaemonLog.Failure(_log, "a daemon step (bug: please report)", $"{e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
        }
    }

    /// <summary>
    /// The IPv6 IKE and NAT-T sockets on <c>[::]:500</c> and <c>[::]:4500</c>. A host without IPv6 (or with it off)
    /// runs on with IPv4 alone, saying so once.
    /// </summary>
    private (UdpEndpoint? Ike, UdpEndpoint? NatT) BindIpv6()
    {
        UdpEndpoint? ike = null;
        try
        {
            ike = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Any, _options.IkePort), natTraversal: false);
            return (ike, UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Any, _options.NatTraversalPort), natTraversal: true));
        }
        catch (SocketException e)
        {
            ike?.Dispose();
            DaemonLog.Failure(_log, "binding the IPv6 IKE sockets (IPv6 peers unreachable)", e.Message);
            return (null, null);
        }
    }

    /// <summary>
    /// Transport mode's policy routing (<see cref="TransportRouting"/>): the daemon's sockets are marked first, because
    /// without the mark its own IKE and ESP to a transport-mode peer would be routed into the TUN device. Null (transport
    /// mode then carries only the daemon's L2TP) with <c>charon.routing_table = 0</c> or when a socket refuses the mark.
    /// </summary>
    private TransportRouting? OpenTransportRouting(DaemonSettings settings, string tun, UdpEndpoint?[] udp, RawEspSocket?[] raw)
    {
        int table = settings.RoutingTable ?? 220, priority = settings.RoutingTablePriority ?? 220;
        if (table == 0 || _options.FwMark == 0) return null;
        bool marked = udp.All(s => s?.SetMark(_options.FwMark) != false) && raw.All(s => s?.SetMark(_options.FwMark) != false);
        if (!marked)
        {
            DaemonLog.Failure(_log, $"marking the IKE and ESP sockets with fwmark 0x{_options.FwMark:x} (SO_MARK needs CAP_NET_ADMIN)",
                "transport mode will carry only L2TP: the host's own traffic to a transport-mode peer is not routed to the TUN device");
            return null;
        }
        var routing = new TransportRouting(tun, table, priority, _options.FwMark, _loggers.CreateLogger("esp"));
        routing.ClearStale();
        return routing;
    }

    /// <summary>
    /// With an <c>l2tp</c> section, UDP 1701 is bound so that L2TP sent in the clear (not inside ESP) is seen, logged
    /// and dropped: the daemon takes L2TP only out of transport-mode SAs, which the kernel never sees.
    /// </summary>
    private UdpEndpoint? OpenCleartextL2tpTrap(PortcullisConfig config, IPAddress any)
    {
        if (config.L2tp is null) return null;
        try
        {
            UdpEndpoint socket = UdpEndpoint.Bind(new IPEndPoint(any, EspDataPlane.L2tpPort), natTraversal: false);
            socket.Start(d =>
            {
                string peer = d.Remote.ToString();
                _work.Writer.TryWrite(() =>
                {
                    if (_sendFailures.Allow("cleartext l2tp", LogLevel.Warning, DateTimeOffset.UtcNow)) L2tpLogHost.Cleartext(_log, peer);
                });
            }, e => DaemonLog.Failure(_log, "UDP 1701 socket", e.Message));
            return socket;
        }
        catch (SocketException e)
        {
            DaemonLog.Failure(_log, $"binding UDP 1701 on {any} to catch cleartext L2TP", e.Message);
            return null;
        }
    }

    /// <summary>TUN thread: traffic hit a trap policy; the loop initiates the CHILD SA.</summary>
    private void Acquire(string child) => _work.Writer.TryWrite(() => _engine!.Acquire(DateTimeOffset.UtcNow, child));

    private void OnDatagram(UdpDatagram datagram)
    {
        if (datagram.Kind == UdpPayloadKind.Esp)
        {
            // Only one thread may coalesce: the IPv4 NAT-T socket's, the one whose BatchEnd flushes the coalescer.
            _dataPlane?.OnEspDatagram(datagram.Payload, coalesce: datagram.Local.AddressFamily == AddressFamily.InterNetwork);
            return;
        }
        byte[] copy = datagram.Payload.ToArray();
        IPEndPoint local = datagram.Local, remote = datagram.Remote;
        _work.Writer.TryWrite(() => _engine!.HandleDatagram(DateTimeOffset.UtcNow, local, remote, copy));
    }

    /// <summary>Sends what the engine queued and applies its events to the data plane. Loop thread only.</summary>
    private void Flush()
    {
        IkeEngine engine = _engine!;
        // Events first: a CHILD SA is installed before the response that lets the peer use it leaves.
        while (engine.TryDequeueEvent(out IkeEvent? e))
        {
            RaiseUpDown(e!);
            CountEvent(e!);
            switch (e)
            {
                case ChildSaInstalled installed:
                    try { _dataPlane!.Install(installed.ChildSa); }
                    catch (System.Security.Cryptography.CryptographicException ex) { DaemonLog.Failure(_log, $"keying CHILD_SA {installed.ChildSa.Name}", ex.Message); }
                    CompleteWaiters(installed.ChildSa.Name, null);
                    _dataPlane!.ResetTrap(installed.ChildSa.Name);
                    break;
                case ChildSaOutboundActivated activated:
                    _dataPlane!.ActivateOutbound(activated.ChildSa);
                    break;
                case ChildSaRemoved removed:
                    _dataPlane!.Remove(removed.ChildSa);
                    break;
                case ChildSaEndpointsChanged changed:
                    _dataPlane!.UpdateEndpoints(changed.ChildSa);
                    break;
                case IkeSaAddressesUpdated moved:
                    _dataPlane!.UpdateEndpoints(moved.IkeSa);
                    break;
                case ChildSaFailed failed:
                    CompleteWaiters(failed.ChildName, failed.Reason);
                    _dataPlane!.ResetTrap(failed.ChildName);
                    break;
                case IkeSaEstablished up:
                    foreach (IPAddress vip in up.IkeSa.LocalVirtualIps) _dataPlane!.AddVirtualIp(vip);
                    break;
                case LocalVirtualIpAssigned assigned:
                    _dataPlane!.AddVirtualIp(assigned.Address);
                    break;
                case LocalVirtualIpReleased released:
                    _dataPlane!.RemoveVirtualIp(released.Address);
                    break;
                case IkeSaRemoved gone:
                    foreach (IPAddress vip in gone.IkeSa.LocalVirtualIps) _dataPlane!.RemoveVirtualIp(vip);
                    if (gone.IkeSa.RekeyedTo is not null) break;
                    foreach (ChildConfig child in gone.IkeSa.Connection?.Children ?? [])
                    {
                        CompleteWaiters(child.Name, gone.Reason);
                        _dataPlane!.ResetTrap(child.Name);
                    }
                    break;
            }
        }
        while (engine.TryDequeueTransmit(out IkeTransmit? t))
        {
            bool v6 = t!.Remote.AddressFamily == AddressFamily.InterNetworkV6;
            UdpEndpoint? socket = t.Local.Port == _options.NatTraversalPort ? (v6 ? _natT6 : _natT) : (v6 ? _ike6 : _ike);
            if (socket is null)
            {
                if (_sendFailures.Allow("send failure", LogLevel.Error, DateTimeOffset.UtcNow)) DaemonLog.Failure(_log, $"send to {t.Remote}", "no IPv6 socket (the host has no IPv6)");
                continue;
            }
            UdpSendResult r = t.IsKeepalive ? socket.SendKeepalive(t.Remote, t.Local.Address) : socket.SendIke(t.Remote, t.Data, t.NonEspMarker, t.Local.Address);
            if (!r.Ok && _sendFailures.Allow("send failure", LogLevel.Error, DateTimeOffset.UtcNow)) DaemonLog.Failure(_log, $"send to {t.Remote}", r.ToString());
        }
    }

    /// <summary>
    /// Address changes reach the engine on the loop (MOBIKE: IKE SAs we initiated move off an address that is gone).
    /// Without netlink the daemon runs on, only unable to follow its own moves.
    /// </summary>
    private AddressMonitor? StartAddressMonitor(string tunName)
    {
        try
        {
            AddressMonitor monitor = AddressMonitor.Start(tunName, list => _work.Writer.TryWrite(() =>
            {
                DaemonLog.AddressesChanged(_log, string.Join(", ", list));
                _engine!.LocalAddressesChanged(DateTimeOffset.UtcNow, list);
            }), e => DaemonLog.Failure(_log, "address monitor", e.Message));
            _engine!.LocalAddressesChanged(DateTimeOffset.UtcNow, monitor.Addresses);
            return monitor;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            DaemonLog.Failure(_log, "watching local addresses (MOBIKE cannot follow our own address changes)", e.Message);
            return null;
        }
    }

    private void CompleteWaiters(string child, string? error)
    {
        for (int i = _initiateWaiters.Count - 1; i >= 0; i--)
        {
            if (_initiateWaiters[i].Child != child) continue;
            _initiateWaiters[i].Done.TrySetResult(error);
            _initiateWaiters.RemoveAt(i);
        }
    }

    private static IPAddress? SourceAddressFor(IPAddress remote)
    {
        try
        {
            using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(remote, 9));
            return (probe.LocalEndPoint as IPEndPoint)?.Address;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// swanctl.conf and the credential folders beside it (x509ca/, x509/, private/, x509crl/, …), checked together:
    /// a connection naming a certificate that is not there is an error of the config, as in swanctl --load-all.
    /// </summary>
    private (PortcullisConfig? Config, CredentialStore? Credentials, IReadOnlyList<ConfigError> Errors) LoadConfiguration()
    {
        // Every file read (includes too) is recorded, for the check of who else may read the secrets in it.
        var files = new RecordingConfigFileSystem(PhysicalConfigFileSystem.Instance);
        (SettingsSection file, IReadOnlyList<ConfigError> syntaxErrors) = SettingsParser.ParseFile(_options.ConfigPath, files);
        if (syntaxErrors.Count > 0) return (null, null, syntaxErrors);
        // What swanctl loaded over VICI stays across a reload of the file, as in charon.
        SettingsSection merged = ViciConfigTree.Merge(file, _viciConnections, _viciPools, [.. _viciSecrets.Select(s => s.Section)]);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(merged);
        if (config is null) return (null, null, errors);
        foreach (string warning in SecretFilePermissions.Check(_options.ConfigPath, files.FilesRead)) DaemonLog.SecretFileReadable(_log, warning);
        var credentialErrors = new List<ConfigError>(DataPlaneSupport.Check(config));
        CredentialStore store = CredentialStore.Load(Path.GetDirectoryName(Path.GetFullPath(_options.ConfigPath))!, credentialErrors);
        AddViciCredentials(store, credentialErrors);
        credentialErrors.AddRange(CredentialCheck.Check(config, store));
        return credentialErrors.Count > 0 ? (null, null, credentialErrors) : (config, store, []);
    }

    private string? Reload() => ApplyConfiguration(_options.ConfigPath);

    /// <summary>
    /// Loads swanctl.conf with what came over VICI and, when it is valid, applies it; otherwise returns the errors
    /// and nothing changes. <paramref name="trigger"/> names the cause in the log (the file, or the VICI command).
    /// </summary>
    private string? ApplyConfiguration(string trigger)
    {
        (PortcullisConfig? config, CredentialStore? credentials, IReadOnlyList<ConfigError> errors) = LoadConfiguration();
        if (config is null)
        {
            string all = string.Join("; ", errors);
            DaemonLog.ReloadRefused(_log, trigger, all);
            return string.Join('\n', errors);
        }
        _engine!.Credentials = credentials!;
        _engine!.LoadConfig(config);
        _dataPlane!.SetTraps(config, Acquire);
        DaemonLog.Reloaded(_log, trigger, config.Connections.Count);
        LogCompat(config);
        return null;
    }

    /// <summary>One line per connection with a compat setting; a warning when it lets legacy algorithms in.</summary>
    private void LogCompat(PortcullisConfig config)
    {
        foreach (ConnectionConfig conn in config.Connections)
        {
            if (NativeClientProfiles.DescribeCompat(conn) is not { } text) continue;
            DaemonLog.Compat(_log, NativeClientProfiles.LegacyAllowed(conn).Count > 0 ? LogLevel.Warning : LogLevel.Information, conn.Name, text);
        }
    }

    /// <summary>Control commands run on the loop thread; <c>initiate</c> waits for the CHILD SA (or its failure).</summary>
    private async Task<ControlResponse> HandleControlAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<Task<ControlResponse>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Writer.TryWrite(() =>
        {
            try { result.SetResult(Execute(request)); }
            catch (Exception e) { result.SetResult(Task.FromResult(ControlResponse.Failure($"{request.Command} failed: {e.Message}"))); }
        });
        Task<ControlResponse> inner = await result.Task.WaitAsync(cancellationToken);
        return await inner.WaitAsync(cancellationToken);
    }

    private Task<ControlResponse> Execute(ControlRequest request)
    {
        IkeEngine engine = _engine!;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string? Arg(string name) => request.Args?.GetValueOrDefault(name);
        switch (request.Command)
        {
            case "list-sas":
                return Task.FromResult(ControlResponse.Success(SaListing.ListSas(engine.IkeSas, _dataPlane, now, engine) + (_l2tp?.Describe() ?? "")));
            case "list-conns":
                return Task.FromResult(ControlResponse.Success(SaListing.ListConns(engine.Config)));
            case "explain":
                return Task.FromResult(Explain(Arg("conn")));
            case "list-pools":
                return Task.FromResult(ControlResponse.Success(SaListing.ListPools(engine.Pools, Arg("leases") == "yes")));
            case "load-all":
            {
                string? errors = Reload();
                if (errors is not null) return Task.FromResult(ControlResponse.Failure($"configuration not loaded, running SAs unchanged:\n{errors}"));
                return Task.FromResult(ControlResponse.Success($"loaded {engine.Config.Connections.Count} connections, {engine.Config.Secrets.Count} secrets from {_options.ConfigPath}\n"));
            }
            case "initiate":
            {
                string? child = Arg("child");
                if (child is null) return Task.FromResult(ControlResponse.Failure("initiate needs --child NAME", 2));
                if (!engine.Initiate(now, child, out string? error)) return Task.FromResult(ControlResponse.Failure(error!));
                var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _initiateWaiters.Add((child, done));
                Flush();
                return WaitForChildAsync(child, done);
            }
            case "terminate":
            {
                string? ike = Arg("ike");
                if (ike is null) return Task.FromResult(ControlResponse.Failure("terminate needs --ike NAME", 2));
                int n = engine.Terminate(now, ike);
                Flush();
                return Task.FromResult(n == 0 ? ControlResponse.Failure($"no IKE SA of connection '{ike}'") : ControlResponse.Success($"terminating {n} IKE SA(s) of '{ike}'\n"));
            }
            case "l2tp-connect":
            {
                // A test and diagnosis tool: L2TP and PPP as a client over the transport-mode SA with --peer.
                if (Arg("peer") is not { } peerText || !IPAddress.TryParse(peerText, out IPAddress? peerAddress) || Arg("user") is not { } user || Arg("password") is not { } password)
                    return Task.FromResult(ControlResponse.Failure("l2tp-connect needs --peer ADDRESS --user NAME --password SECRET", 2));
                if (_dataPlane!.TransportPeers().FirstOrDefault(p => p.Address.Equals(peerAddress)) is not { } peer)
                    return Task.FromResult(ControlResponse.Failure($"no transport-mode SA with {peerAddress}: initiate the IPsec connection first"));
                IReadOnlyList<string> routes = Arg("routes") is { Length: > 0 } r ? r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
                Task<string?> connected = _l2tp!.Connect(now, peer, user, System.Text.Encoding.UTF8.GetBytes(password), routes, Arg("ipv6") == "yes");
                return WaitForL2tpAsync(peer, connected);
            }
            default:
                return Task.FromResult(ControlResponse.Failure($"unknown command '{request.Command}'", 2));
        }
    }

    private static async Task<ControlResponse> WaitForL2tpAsync(IPEndPoint peer, Task<string?> connected)
    {
        Task finished = await Task.WhenAny(connected, Task.Delay(TimeSpan.FromSeconds(60)));
        if (finished != connected) return ControlResponse.Failure($"L2TP/PPP to {peer} not up within 60 s");
        string? error = await connected;
        return error is null ? ControlResponse.Success($"L2TP/PPP link to {peer} up\n") : ControlResponse.Failure($"L2TP/PPP to {peer} failed: {error}");
    }

    private static async Task<ControlResponse> WaitForChildAsync(string child, TaskCompletionSource<string?> done)
    {
        Task finished = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (finished != done.Task) return ControlResponse.Failure($"CHILD_SA '{child}' not established within 60 s (still trying)");
        string? error = await done.Task;
        return error is null ? ControlResponse.Success($"CHILD_SA '{child}' established\n") : ControlResponse.Failure($"CHILD_SA '{child}' failed: {error}");
    }
}
