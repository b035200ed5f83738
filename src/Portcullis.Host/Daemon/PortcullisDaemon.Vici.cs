using System.Globalization;
using System.Runtime.InteropServices;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Pki;
using Portcullis.Core.Vici;
using Portcullis.Host.Control;

namespace Portcullis.Host.Daemon;

/// <summary>
/// strongSwan's VICI on the control socket, so Debian's <c>swanctl --uri unix://…</c> drives Portcullis. Commands
/// run on the loop thread, like the JSON ones. What <c>swanctl --load-all</c> sends is kept as settings sections and
/// merged over swanctl.conf (<see cref="ViciConfigTree"/>), then checked and applied like a reload: one mapping of
/// keys, and a bad connection is refused with its errors while the running configuration stays.
/// </summary>
public sealed partial class PortcullisDaemon : IViciService
{
    private static readonly string[] s_events = ["ike-updown", "child-updown", "log", "control-log", "list-sa", "list-conn"];
    private readonly List<SettingsSection> _viciConnections = [];
    private readonly List<SettingsSection> _viciPools = [];
    private readonly List<(string Id, SettingsSection Section)> _viciSecrets = [];
    private readonly Dictionary<string, (bool Ca, byte[] Data)> _viciConnCertificates = [];
    private readonly List<ViciCredential> _viciCredentials = [];

    /// <summary>A certificate, CRL or private key loaded over VICI (load-cert, load-key); <see cref="Id"/> is what get-keys lists.</summary>
    private sealed record ViciCredential(string Id, string Kind, byte[] Data);
    private readonly List<ViciSession> _viciSessions = [];
    private readonly Dictionary<ViciSession, (string Conn, int Level)> _controlLog = [];
    private readonly Lock _viciLock = new();
    private string _version = "";
    private DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    bool IViciService.HasEvent(string name) => s_events.Contains(name);

    void IViciService.Opened(ViciSession session)
    {
        lock (_viciLock) _viciSessions.Add(session);
    }

    void IViciService.Closed(ViciSession session)
    {
        lock (_viciLock)
        {
            _viciSessions.Remove(session);
            _controlLog.Remove(session);
        }
    }

    /// <summary>Any thread: a log line goes to the sessions registered for <c>log</c>, and to those waiting on an initiate of its connection.</summary>
    private void OnLogLine(LogTapLine line)
    {
        RecordFailure(line);
        ViciSession[] sessions;
        lock (_viciLock)
        {
            if (_viciSessions.Count == 0) return;
            sessions = [.. _viciSessions];
        }
        foreach (ViciSession session in sessions)
        {
            if (line.Level <= 1 && session.IsRegistered("log"))
                session.TrySendEvent("log", LogMessage(line, withThread: true));
            (string Conn, int Level) filter;
            lock (_viciLock) if (!_controlLog.TryGetValue(session, out filter)) continue;
            if (line.Level <= filter.Level && line.Conn == filter.Conn) session.TrySendEvent("control-log", LogMessage(line, withThread: false));
        }
    }

    private static ViciMessage LogMessage(LogTapLine line, bool withThread)
    {
        var m = new ViciMessage().Add("group", line.Group).Add("level", line.Level.ToString(CultureInfo.InvariantCulture));
        if (withThread) m.Add("thread", Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture));
        if (line.Conn is { } conn) m.Add("ikesa-name", conn);
        if (line.Uid is { } uid) m.Add("ikesa-uniqueid", uid);
        return m.Add("msg", line.Message);
    }

    /// <summary>Broadcasts an event to every session registered for it.</summary>
    private void RaiseViciEvent(string name, ViciMessage message)
    {
        ViciSession[] sessions;
        lock (_viciLock)
        {
            if (_viciSessions.Count == 0) return;
            sessions = [.. _viciSessions];
        }
        foreach (ViciSession s in sessions) s.TrySendEvent(name, message);
    }

    /// <summary>Loop thread, from <see cref="Flush"/>: ike-updown and child-updown, as charon raises them.</summary>
    private void RaiseUpDown(IkeEvent e)
    {
        lock (_viciLock) if (_viciSessions.Count == 0) return;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        switch (e)
        {
            case IkeSaEstablished up:
                RaiseViciEvent("ike-updown", UpDown(true, up.IkeSa, null, now));
                break;
            case IkeSaRemoved gone when gone.IkeSa.RekeyedTo is null:
                RaiseViciEvent("ike-updown", UpDown(false, gone.IkeSa, null, now));
                break;
            case ChildSaInstalled installed when installed.ChildSa.Replaces is null:
                RaiseViciEvent("child-updown", UpDown(true, installed.ChildSa.Owner, installed.ChildSa, now));
                break;
            case ChildSaRemoved removed when !removed.ChildSa.Superseded:
                RaiseViciEvent("child-updown", UpDown(false, removed.ChildSa.Owner, removed.ChildSa, now));
                break;
        }
    }

    private ViciMessage UpDown(bool up, IIkeSa sa, ChildSa? child, DateTimeOffset now)
    {
        var m = new ViciMessage();
        if (up) m.Add("up", "yes");
        ViciMessage ike = IkeSection(m, sa, now);
        // swanctl --monitor-sa prints an IKE SA when it meets its child-sas section, so ike-updown carries an empty one.
        ViciMessage children = ike.AddSection("child-sas");
        if (child is not null) ChildSection(children, child, now);
        return m;
    }

    async Task<ViciMessage?> IViciService.ExecuteAsync(ViciSession session, string command, ViciMessage request, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<Task<ViciMessage?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Writer.TryWrite(() =>
        {
            try { result.SetResult(ExecuteVici(session, command, request)); }
            catch (Exception e) { result.SetResult(Task.FromResult<ViciMessage?>(ViciSession.Failure($"{command} failed: {e.Message}"))); }
        });
        Task<ViciMessage?> inner = await result.Task.WaitAsync(cancellationToken);
        return await inner.WaitAsync(cancellationToken);
    }

    /// <summary>Loop thread. Null: not a command we serve (CMD_UNKNOWN, as charon answers for a plugin it lacks).</summary>
    private Task<ViciMessage?> ExecuteVici(ViciSession session, string command, ViciMessage request)
    {
        IkeEngine engine = _engine!;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        ViciMessage? Done(ViciMessage m) => m;
        switch (command)
        {
            case "version":
                return Task.FromResult(Done(new ViciMessage().Add("daemon", "portcullis").Add("version", _version)
                    .Add("sysname", RuntimeInformation.OSDescription.Split(' ')[0]).Add("release", KernelRelease())
                    .Add("machine", RuntimeInformation.OSArchitecture switch { Architecture.X64 => "x86_64", Architecture.Arm64 => "aarch64", var a => a.ToString().ToLowerInvariant() })));
            case "stats":
                return Task.FromResult(Done(Stats(engine, now)));
            case "list-sas":
                return Task.FromResult(Done(ListSas(session, engine, request, now)));
            case "list-conns":
                foreach (ConnectionConfig c in engine.Config.Connections)
                {
                    if (request.Text("ike") is { } only && only != c.Name) continue;
                    var m = new ViciMessage();
                    ConnSection(m.AddSection(c.Name), c);
                    session.TrySendEvent("list-conn", m);
                }
                return Task.FromResult(Done(new ViciMessage()));
            case "get-conns":
                return Task.FromResult(Done(new ViciMessage().AddList("conns", _viciConnections.Select(c => c.Name))));
            case "load-conn":
                return Task.FromResult(Done(LoadViciSections(request, "connections", "load-conn", _viciConnections, _viciConnCertificates)));
            case "unload-conn":
                return Task.FromResult(Done(UnloadViciSection(request.Text("name"), "connection", _viciConnections)));
            case "load-pool":
                return Task.FromResult(Done(LoadViciSections(request, "pools", "load-pool", _viciPools)));
            case "unload-pool":
                return Task.FromResult(Done(UnloadViciSection(request.Text("name"), "pool", _viciPools)));
            case "get-pools":
                return Task.FromResult(Done(GetPools(request.Text("leases") == "yes")));
            case "load-shared":
                return Task.FromResult(Done(LoadShared(request)));
            case "unload-shared":
                return Task.FromResult(Done(UnloadShared(request.Text("id"))));
            case "get-shared":
                return Task.FromResult(Done(new ViciMessage().AddList("keys", _viciSecrets.Select(s => s.Id))));
            case "clear-creds":
            {
                var kept = new List<(string, SettingsSection)>(_viciSecrets);
                var keptCredentials = new List<ViciCredential>(_viciCredentials);
                _viciSecrets.Clear();
                _viciCredentials.Clear();
                if (ApplyVici("clear-creds") is { } error)
                {
                    _viciSecrets.AddRange(kept);
                    _viciCredentials.AddRange(keptCredentials);
                    return Task.FromResult(Done(ViciSession.Failure(error)));
                }
                foreach (ViciCredential c in keptCredentials) if (c.Kind is "rsa" or "ecdsa" or "any") System.Security.Cryptography.CryptographicOperations.ZeroMemory(c.Data);
                return Task.FromResult(Done(ViciSession.Success()));
            }
            case "load-cert":
                return Task.FromResult(Done(LoadCredential(request, isKey: false)));
            case "load-key":
                return Task.FromResult(Done(LoadCredential(request, isKey: true)));
            case "unload-key":
                return Task.FromResult(Done(UnloadKey(request.Text("id"))));
            case "get-keys":
                return Task.FromResult(Done(new ViciMessage().AddList("keys", _viciCredentials.Where(c => c.Kind is "rsa" or "ecdsa" or "any").Select(c => c.Id))));
            case "get-authorities":
                return Task.FromResult(Done(new ViciMessage().AddList("authorities", [])));
            case "load-token" or "load-authority":
                return Task.FromResult(Done(ViciSession.Failure(
                    $"{command} is not supported by Portcullis yet (no PKCS #11 tokens; CA certificates go in x509ca/ or over load-cert, CRLs in x509crl/)")));
            case "initiate":
                return InitiateVici(session, engine, request, now);
            case "terminate":
            {
                if (request.Text("ike") is not { Length: > 0 } ike)
                    return Task.FromResult(Done(ViciSession.Failure("Portcullis terminates by IKE_SA configuration name only: give --ike NAME")));
                int n = engine.Terminate(now, ike);
                Flush();
                return Task.FromResult(Done(n == 0 ? ViciSession.Failure($"no IKE_SA of connection '{ike}' found") : ViciSession.Success().Add("matches", n.ToString(CultureInfo.InvariantCulture)).Add("terminated", n.ToString(CultureInfo.InvariantCulture))));
            }
            default:
                return Task.FromResult<ViciMessage?>(null);
        }
    }

    /// <summary>Applies the configuration after a VICI change; the log names the file and the command.</summary>
    private string? ApplyVici(string command) => ApplyConfiguration($"{_options.ConfigPath} with VICI {command}");

    private static string KernelRelease()
    {
        try { return File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
        catch (IOException) { return Environment.OSVersion.Version.ToString(); }
    }

    private ViciMessage Stats(IkeEngine engine, DateTimeOffset now)
    {
        var m = new ViciMessage();
        ViciMessage uptime = m.AddSection("uptime");
        TimeSpan up = now - _startedAt;
        uptime.Add("running", $"{(int)up.TotalDays} days, {up.Hours:00}:{up.Minutes:00}:{up.Seconds:00}");
        uptime.Add("since", _startedAt.ToLocalTime().ToString("MMM dd HH:mm:ss yyyy", CultureInfo.InvariantCulture));
        // One event loop does what charon's worker threads do.
        ViciMessage workers = m.AddSection("workers");
        workers.Add("total", "1").Add("idle", "0");
        ViciMessage active = workers.AddSection("active");
        foreach (string p in (string[])["critical", "high", "medium", "low"]) active.Add(p, p == "critical" ? "1" : "0");
        ViciMessage queues = m.AddSection("queues");
        // The loop's queue is single-reader and cannot count itself; what runs is never queued long.
        string queued = _work.Reader.CanCount ? _work.Reader.Count.ToString(CultureInfo.InvariantCulture) : "0";
        foreach (string p in (string[])["critical", "high", "medium", "low"]) queues.Add(p, p == "critical" ? queued : "0");
        m.Add("scheduled", "0");
        ViciMessage ikesas = m.AddSection("ikesas");
        ikesas.Add("total", (engine.IkeSas.Count + engine.Ikev1.Sas.Count).ToString(CultureInfo.InvariantCulture));
        ikesas.Add("half-open", engine.HalfOpenCount.ToString(CultureInfo.InvariantCulture));
        m.AddList("plugins", ["vici", "kernel-userspace-esp"]);
        return m;
    }

    private ViciMessage ListSas(ViciSession session, IkeEngine engine, ViciMessage request, DateTimeOffset now)
    {
        string? name = request.Text("ike");
        string? id = request.Text("ike-id") ?? request.Text("ike_id");
        IEnumerable<IIkeSa> all = engine.IkeSas.Cast<IIkeSa>().Concat(engine.Ikev1.Sas).OrderBy(s => s.Uid);
        foreach (IIkeSa sa in all)
        {
            if (name is not null && sa.Name != name) continue;
            if (id is not null && sa.Uid.ToString(CultureInfo.InvariantCulture) != id) continue;
            var m = new ViciMessage();
            ViciMessage ike = IkeSection(m, sa, now);
            ViciMessage children = ike.AddSection("child-sas");
            IReadOnlyList<ChildSa> list = sa switch { IkeSa v2 => v2.Children, IsakmpSa v1 => v1.Children, _ => [] };
            foreach (ChildSa child in list) ChildSection(children, child, now);
            session.TrySendEvent("list-sa", m);
        }
        return new ViciMessage();
    }

    /// <summary>The IKE SA's section as charon's list-sa event has it (vici README, "list-sa").</summary>
    private static ViciMessage IkeSection(ViciMessage parent, IIkeSa sa, DateTimeOffset now)
    {
        ViciMessage s = parent.AddSection(sa.Name);
        s.Add("uniqueid", sa.Uid.ToString(CultureInfo.InvariantCulture)).Add("version", sa.IkeVersion.ToString(CultureInfo.InvariantCulture));
        string state = "UNKNOWN";
        bool initiator = false, natLocal = false, natRemote = false;
        ulong ispi = 0, rspi = 0;
        Identity? localId = null, remoteId = null;
        NegotiatedProposal? proposal = null;
        DateTimeOffset? established = null, rekey = null, reauth = null;
        IReadOnlyList<System.Net.IPAddress> localVips = [], remoteVips = [];
        if (sa is IkeSa v2)
        {
            (state, initiator, ispi, rspi, localId, remoteId, natLocal, natRemote, proposal) =
                (v2.State.ToString(), v2.IsInitiator, v2.InitiatorSpi, v2.ResponderSpi, v2.LocalId, v2.RemoteId, v2.LocalBehindNat, v2.RemoteBehindNat, v2.Proposal);
            (established, rekey, reauth, localVips, remoteVips) = (v2.EstablishedAt, v2.RekeyAt, v2.ReauthAt, v2.LocalVirtualIps, v2.RemoteVirtualIps);
        }
        else if (sa is IsakmpSa v1)
        {
            (state, initiator, ispi, rspi, localId, remoteId, natLocal, natRemote, proposal) =
                (v1.State.ToString(), v1.IsInitiator, v1.InitiatorCookie, v1.ResponderCookie, v1.LocalId, v1.RemoteId, v1.LocalBehindNat, v1.RemoteBehindNat, v1.Proposal);
            (established, reauth, localVips, remoteVips) = (v1.EstablishedAt, v1.ReauthAt, v1.LocalVirtualIps, v1.RemoteVirtualIps);
        }
        s.Add("state", state.ToUpperInvariant());
        s.Add("local-host", sa.LocalEndpoint.Address.ToString()).Add("local-port", sa.LocalEndpoint.Port.ToString(CultureInfo.InvariantCulture));
        s.Add("local-id", localId?.ToString() ?? "%any");
        s.Add("remote-host", sa.RemoteEndpoint.Address.ToString()).Add("remote-port", sa.RemoteEndpoint.Port.ToString(CultureInfo.InvariantCulture));
        s.Add("remote-id", remoteId?.ToString() ?? "%any");
        if (initiator) s.Add("initiator", "yes");
        s.Add("initiator-spi", ispi.ToString("x16", CultureInfo.InvariantCulture)).Add("responder-spi", rspi.ToString("x16", CultureInfo.InvariantCulture));
        if (natLocal) s.Add("nat-local", "yes");
        if (natRemote) s.Add("nat-remote", "yes");
        if (natLocal || natRemote) s.Add("nat-any", "yes");
        if (proposal is not null) AddAlgorithms(s, proposal);
        if (established is { } est) s.Add("established", Seconds(now - est));
        if (rekey is { } r) s.Add("rekey-time", Seconds(r - now));
        if (reauth is { } ra) s.Add("reauth-time", Seconds(ra - now));
        if (localVips.Count > 0) s.AddList("local-vips", localVips.Select(a => a.ToString()));
        if (remoteVips.Count > 0) s.AddList("remote-vips", remoteVips.Select(a => a.ToString()));
        return s;
    }

    private void ChildSection(ViciMessage children, ChildSa child, DateTimeOffset now)
    {
        ViciMessage c = children.AddSection($"{child.Name}-{child.Uid}");
        c.Add("name", child.Name).Add("uniqueid", child.Uid.ToString(CultureInfo.InvariantCulture)).Add("reqid", child.Uid.ToString(CultureInfo.InvariantCulture));
        c.Add("state", child.State.ToString().ToUpperInvariant()).Add("mode", child.Mode == ChildMode.Tunnel ? "TUNNEL" : "TRANSPORT").Add("protocol", child.IsAh ? "AH" : "ESP");
        if (child.UdpEncapsulation) c.Add("encap", "yes");
        c.Add("spi-in", child.InboundSpi.ToString("x8", CultureInfo.InvariantCulture)).Add("spi-out", child.OutboundSpi.ToString("x8", CultureInfo.InvariantCulture));
        AddAlgorithms(c, child.Proposal);
        InstalledChild? installed = _dataPlane?.Find(child.Uid);
        c.Add("bytes-in", (installed?.Inbound.Bytes ?? 0).ToString(CultureInfo.InvariantCulture)).Add("packets-in", (installed?.Inbound.Packets ?? 0).ToString(CultureInfo.InvariantCulture));
        c.Add("bytes-out", (installed?.Outbound.Bytes ?? 0).ToString(CultureInfo.InvariantCulture)).Add("packets-out", (installed?.Outbound.Packets ?? 0).ToString(CultureInfo.InvariantCulture));
        if (child.RekeyAt is { } rekey) c.Add("rekey-time", Seconds(rekey - now));
        if (child.ExpireAt is { } expire) c.Add("life-time", Seconds(expire - now));
        c.Add("install-time", Seconds(now - child.EstablishedAt));
        c.AddList("local-ts", child.LocalTs.Select(Ts));
        c.AddList("remote-ts", child.RemoteTs.Select(Ts));
    }

    /// <summary>Algorithms in charon's words: IANA names without their ENCR_/AUTH_ prefix, key size apart.</summary>
    private static void AddAlgorithms(ViciMessage s, NegotiatedProposal p)
    {
        if (p.Encryption is { } encryption)
        {
            s.Add("encr-alg", Strip(encryption.Name));
            if (encryption.KeyBits > 0) s.Add("encr-keysize", encryption.KeyBits.ToString(CultureInfo.InvariantCulture));
        }
        if (p.Integrity is { } integ) s.Add("integ-alg", Strip(integ.Name));
        if (p.Prf is { } prf) s.Add("prf-alg", prf.Name);
        if (p.KeyExchange is { } ke) s.Add("dh-group", GroupName(ke.Keyword));
        if (p.Esn is { Id: not 0 }) s.Add("esn", "1");
    }

    /// <summary>charon's group names from our keywords: <c>ecp384</c> is ECP_384, <c>modp2048</c> MODP_2048, <c>curve25519</c> CURVE_25519.</summary>
    private static string GroupName(string keyword)
    {
        int digits = keyword.Length;
        while (digits > 0 && char.IsAsciiDigit(keyword[digits - 1])) digits--;
        return digits is > 0 && digits < keyword.Length ? $"{keyword[..digits].ToUpperInvariant()}_{keyword[digits..]}" : keyword.ToUpperInvariant();
    }

    private static string Strip(string name) =>
        name.StartsWith("ENCR_", StringComparison.Ordinal) ? name[5..] : name.StartsWith("AUTH_", StringComparison.Ordinal) ? name[5..] : name;

    /// <summary>A selector as charon lists it: always with its prefix length (<c>198.18.2.1/32</c>), then any <c>[proto/port]</c>.</summary>
    private static string Ts(Portcullis.Core.Ipsec.TrafficSelector t)
    {
        string text = t.ToString();
        if (!t.TryGetPrefix(out System.Net.IPAddress network, out int length)) return text;
        int bracket = text.IndexOf('[', StringComparison.Ordinal);
        return $"{network}/{length}" + (bracket >= 0 ? text[bracket..] : "");
    }

    private static string Seconds(TimeSpan t) => ((long)Math.Max(0, t.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>A connection as charon's list-conn event has it (the keys swanctl --list-conns prints).</summary>
    private static void ConnSection(ViciMessage s, ConnectionConfig c)
    {
        s.AddList("local_addrs", c.LocalAddrs.Count == 0 ? ["%any"] : c.LocalAddrs);
        s.AddList("remote_addrs", c.RemoteAddrs.Count == 0 ? ["%any"] : c.RemoteAddrs);
        s.Add("version", c.Version switch { 1 => "IKEv1", 2 => "IKEv2", _ => "0" });
        s.Add("reauth_time", Seconds(c.ReauthTime)).Add("rekey_time", Seconds(c.RekeyTime));
        AuthSection(s.AddSection("local-1"), c.Local);
        AuthSection(s.AddSection("remote-1"), c.Remote);
        if (c.LocalXauth is { } lx) AuthSection(s.AddSection("local-2"), lx);
        if (c.RemoteXauth is { } rx) AuthSection(s.AddSection("remote-2"), rx);
        ViciMessage children = s.AddSection("children");
        foreach (ChildConfig ch in c.Children)
        {
            ViciMessage cs = children.AddSection(ch.Name);
            cs.Add("mode", ch.Mode == ChildMode.Tunnel ? "TUNNEL" : "TRANSPORT");
            cs.Add("rekey_time", Seconds(ch.RekeyTime)).Add("rekey_bytes", ch.RekeyBytes.ToString(CultureInfo.InvariantCulture)).Add("rekey_packets", ch.RekeyPackets.ToString(CultureInfo.InvariantCulture));
            cs.AddList("local-ts", ch.LocalTs.Count == 0 ? [ch.LocalDynamic.ToString()] : ch.LocalTs.Select(Ts));
            cs.AddList("remote-ts", ch.RemoteTs.Count == 0 ? [ch.RemoteDynamic.ToString()] : ch.RemoteTs.Select(Ts));
        }
    }

    private static void AuthSection(ViciMessage s, AuthConfig a)
    {
        s.Add("class", a.Auth switch
        {
            "psk" => "pre-shared key",
            "pubkey" or "rsa" or "ecdsa" => "public key",
            "xauth" => "XAuth",
            var other when other.StartsWith("eap", StringComparison.Ordinal) => "EAP",
            var other => other,
        });
        if (a.Auth.StartsWith("eap-", StringComparison.Ordinal)) s.Add("eap-type", a.Auth[4..].ToUpperInvariant());
        if (a.Id is { } id) s.Add("id", id.ToString());
        if (a.EapId is { } eap) s.Add("eap_id", eap);
        if (a.XauthId is { } xauth) s.Add("xauth_id", xauth);
        if (a.Certs.Count > 0) s.AddList("certs", a.Certs);
        if (a.CaCerts.Count > 0) s.AddList("cacerts", a.CaCerts);
    }

    /// <summary>load-conn and load-pool: each section replaces one of the same name; all or nothing.</summary>
    private ViciMessage LoadViciSections(ViciMessage request, string parent, string command, List<SettingsSection> store,
        Dictionary<string, (bool Ca, byte[] Data)>? certificates = null)
    {
        var errors = new List<string>();
        var carried = new Dictionary<string, (bool Ca, byte[] Data)>();
        IReadOnlyList<SettingsSection> sections = ViciConfigTree.Sections(request, parent, command, errors, carried);
        // The certificates a connection carries are kept under their content names (never removed: a later
        // load-conn may name the same ones, and they are small).
        if (certificates is not null) foreach ((string name, (bool Ca, byte[] Data) cert) in carried) certificates[name] = cert;
        if (errors.Count > 0) return ViciSession.Failure(string.Join("; ", errors));
        if (sections.Count == 0) return ViciSession.Failure($"{command}: no section in the request");
        var before = new List<SettingsSection>(store);
        foreach (SettingsSection s in sections)
        {
            store.RemoveAll(x => x.Name == s.Name);
            store.Add(s);
        }
        if (ApplyVici(command) is { } error)
        {
            store.Clear();
            store.AddRange(before);
            return ViciSession.Failure(error);
        }
        return ViciSession.Success();
    }

    private ViciMessage UnloadViciSection(string? name, string what, List<SettingsSection> store)
    {
        if (string.IsNullOrEmpty(name)) return ViciSession.Failure($"unload-{what}: missing 'name'");
        int index = store.FindIndex(s => s.Name == name);
        if (index < 0) return ViciSession.Failure($"{what} '{name}' was not loaded over VICI");
        SettingsSection removed = store[index];
        store.RemoveAt(index);
        if (ApplyVici($"unload-{what}") is { } error)
        {
            store.Insert(index, removed);
            return ViciSession.Failure(error);
        }
        return ViciSession.Success();
    }

    private ViciMessage LoadShared(ViciMessage request)
    {
        var errors = new List<string>();
        SettingsSection? section = ViciConfigTree.SharedSecret(request, errors);
        if (section is null) return ViciSession.Failure(string.Join("; ", errors));
        string id = ViciConfigTree.SecretId(request, section);
        var before = new List<(string, SettingsSection)>(_viciSecrets);
        _viciSecrets.RemoveAll(s => s.Id == id || s.Section.Name == section.Name);
        _viciSecrets.Add((id, section));
        if (ApplyVici("load-shared") is { } error)
        {
            _viciSecrets.Clear();
            _viciSecrets.AddRange(before);
            return ViciSession.Failure(error);
        }
        return ViciSession.Success();
    }

    private ViciMessage UnloadShared(string? id)
    {
        if (string.IsNullOrEmpty(id)) return ViciSession.Failure("unload-shared: missing 'id'");
        int index = _viciSecrets.FindIndex(s => s.Id == id);
        if (index < 0) return ViciSession.Failure($"shared secret '{id}' was not loaded over VICI");
        (string, SettingsSection) removed = _viciSecrets[index];
        _viciSecrets.RemoveAt(index);
        if (ApplyVici("unload-shared") is { } error)
        {
            _viciSecrets.Insert(index, removed);
            return ViciSession.Failure(error);
        }
        return ViciSession.Success();
    }

    /// <summary>
    /// load-cert (type X509 with flag NONE or CA, or X509_CRL) and load-key (type rsa, ecdsa, or any for PKCS #8): kept
    /// beside the folders' credentials and checked by loading the whole configuration, so a bad one is refused and
    /// changes nothing.
    /// </summary>
    private ViciMessage LoadCredential(ViciMessage request, bool isKey)
    {
        byte[]? data = request.Blob("data");
        if (data is null || data.Length == 0) return ViciSession.Failure($"{(isKey ? "load-key" : "load-cert")}: no 'data'");
        string type = request.Text("type")?.ToLowerInvariant() ?? "";
        string? kind = isKey
            ? type switch { "rsa" => "rsa", "ecdsa" => "ecdsa", "any" or "private" or "pkcs8" => "any", _ => null }
            : (type, request.Text("flag")?.ToUpperInvariant() ?? "NONE") switch
            {
                ("x509", "NONE") => "x509",
                ("x509", "CA") => "x509ca",
                ("x509_crl", _) => "x509crl",
                _ => null,
            };
        if (kind is null)
            return ViciSession.Failure($"{(isKey ? "load-key" : "load-cert")}: {(isKey ? $"key type '{type}'" : $"certificate type '{type}' with flag '{request.Text("flag")}'")} is not supported by Portcullis yet");
        string id = ViciConfigTree.CertificateName(data);
        var credential = new ViciCredential(id, kind, data);
        _viciCredentials.RemoveAll(c => c.Id == id);
        _viciCredentials.Add(credential);
        if (ApplyVici(isKey ? "load-key" : "load-cert") is { } error)
        {
            _viciCredentials.Remove(credential);
            return ViciSession.Failure(error);
        }
        ViciMessage ok = ViciSession.Success();
        if (isKey) ok.Add("id", id);
        return ok;
    }

    private ViciMessage UnloadKey(string? id)
    {
        ViciCredential? key = _viciCredentials.FirstOrDefault(c => c.Id == id && c.Kind is "rsa" or "ecdsa" or "any");
        if (key is null) return ViciSession.Failure($"key '{id}' was not loaded over VICI");
        _viciCredentials.Remove(key);
        if (ApplyVici("unload-key") is { } error)
        {
            _viciCredentials.Add(key);
            return ViciSession.Failure(error);
        }
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(key.Data);
        return ViciSession.Success();
    }

    /// <summary>Adds what came over VICI to the store read from the folders (at start, reload and every VICI change).</summary>
    private void AddViciCredentials(CredentialStore store, List<ConfigError> errors)
    {
        foreach (ViciCredential c in _viciCredentials)
        {
            string origin = $"{ViciConfigTree.Origin} {(c.Kind is "x509" or "x509ca" or "x509crl" ? "load-cert" : "load-key")} {c.Id}";
            switch (c.Kind)
            {
                case "x509": store.AddCertificates(c.Data, ca: false, c.Id, origin, errors); break;
                case "x509ca": store.AddCertificates(c.Data, ca: true, c.Id, origin, errors); break;
                case "x509crl": store.AddCrls(c.Data, origin, errors); break;
                default: store.AddPrivateKey(c.Data, c.Kind switch { "rsa" => "RSA", "ecdsa" => "ECDSA", _ => null }, origin, errors); break;
            }
        }
        foreach ((string name, (bool ca, byte[] data)) in _viciConnCertificates)
            store.AddCertificates(data, ca, name, $"{ViciConfigTree.Origin} load-conn certificate {name}", errors);
    }

    private ViciMessage GetPools(bool leases)
    {
        var m = new ViciMessage();
        foreach (SettingsSection pool in _viciPools)
        {
            ViciMessage s = m.AddSection(pool.Name);
            if (_engine!.Pools.StatusAll().Where(p => p.Name == pool.Name).Select(p => (Portcullis.Core.Pools.PoolStatus?)p).FirstOrDefault() is not { } status) continue;
            s.Add("base", status.Addrs.ToString() ?? "").Add("size", status.Size.ToString(CultureInfo.InvariantCulture))
                .Add("online", status.Online.ToString(CultureInfo.InvariantCulture)).Add("offline", status.Offline.ToString(CultureInfo.InvariantCulture));
            if (!leases) continue;
            ViciMessage l = s.AddSection("leases");
            int i = 0;
            foreach (Portcullis.Core.Pools.LeaseInfo lease in _engine.Pools.Leases(pool.Name))
                l.AddSection((i++).ToString(CultureInfo.InvariantCulture)).Add("address", SaListing.LeaseText(lease)).Add("identity", $"{lease.Identity}").Add("status", lease.Online ? "online" : "offline");
        }
        return m;
    }

    /// <summary>
    /// initiate: streams the connection's log lines as control-log events to this session (when it registered) and
    /// answers when the CHILD SA is up or failed; <c>timeout</c> (ms) bounds the wait, -1 answers at once.
    /// </summary>
    private Task<ViciMessage?> InitiateVici(ViciSession session, IkeEngine engine, ViciMessage request, DateTimeOffset now)
    {
        if (request.Text("child") is not { Length: > 0 } child)
            return Task.FromResult<ViciMessage?>(ViciSession.Failure("Portcullis initiates a CHILD_SA by name: give --child NAME"));
        string conn = engine.Config.Connections.FirstOrDefault(c => c.Children.Any(ch => ch.Name == child) && (request.Text("ike") is not { } ike || c.Name == ike))?.Name ?? "";
        int level = int.TryParse(request.Text("loglevel"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) ? l : 1;
        int timeout = int.TryParse(request.Text("timeout"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int t) ? t : 0;
        lock (_viciLock) _controlLog[session] = (conn, level);
        if (!engine.Initiate(now, child, out string? error))
        {
            lock (_viciLock) _controlLog.Remove(session);
            return Task.FromResult<ViciMessage?>(ViciSession.Failure(error!));
        }
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _initiateWaiters.Add((child, done));
        Flush();
        if (timeout < 0)
        {
            lock (_viciLock) _controlLog.Remove(session);
            return Task.FromResult<ViciMessage?>(ViciSession.Success());
        }
        return WaitForViciChildAsync(session, child, done, timeout);
    }

    private async Task<ViciMessage?> WaitForViciChildAsync(ViciSession session, string child, TaskCompletionSource<string?> done, int timeoutMs)
    {
        try
        {
            if (timeoutMs > 0 && await Task.WhenAny(done.Task, Task.Delay(timeoutMs)) != done.Task)
                return ViciSession.Failure($"initiating CHILD_SA '{child}' did not complete within {timeoutMs} ms (still trying)");
            string? error = await done.Task;
            return error is null ? ViciSession.Success() : ViciSession.Failure($"establishing CHILD_SA '{child}' failed: {error}");
        }
        finally
        {
            lock (_viciLock) _controlLog.Remove(session);
        }
    }
}
