using System.Globalization;
using System.Net;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Config;

/// <summary>
/// Loads swanctl.conf into a <see cref="PortcullisConfig"/>. Only the keys Portcullis implements are accepted; every
/// other key or section is reported as an error naming its file, line and dotted key, never silently ignored.
/// The supported keys are those of the handler tables below (<c>s_connectionKeys</c>, <c>s_authKeys</c>,
/// <c>s_childKeys</c>) and the <c>secrets</c> sections.
/// </summary>
public static partial class SwanctlConfigLoader
{
    private const string NotSupported = "is not supported by Portcullis yet";

    /// <summary>Loads a file (and its includes) from disk. The config is null when there is any error.</summary>
    public static (PortcullisConfig? Config, IReadOnlyList<ConfigError> Errors) Load(string path) =>
        Load(path, PhysicalConfigFileSystem.Instance);

    /// <summary>Loads a file (and its includes) through <paramref name="fileSystem"/>. The config is null when there is any error.</summary>
    public static (PortcullisConfig? Config, IReadOnlyList<ConfigError> Errors) Load(string path, IConfigFileSystem fileSystem)
    {
        (SettingsSection root, IReadOnlyList<ConfigError> syntaxErrors) = SettingsParser.ParseFile(path, fileSystem);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load(root);
        if (syntaxErrors.Count == 0) return (config, errors);
        return (null, [.. syntaxErrors, .. errors]);
    }

    /// <summary>Builds the configuration from an already parsed settings tree. The config is null when there is any error.</summary>
    public static (PortcullisConfig? Config, IReadOnlyList<ConfigError> Errors) Load(SettingsSection root)
    {
        var ctx = new Context();
        var connections = new List<ConnectionConfig>();
        var secrets = new List<SharedSecret>();
        var eapSecrets = new List<EapSecret>();
        var pools = new List<PoolConfig>();
        L2tpConfig? l2tp = null;

        foreach (SettingsValue v in root.Values) ctx.Unsupported(v, root.PathOf(v.Key));
        foreach (SettingsSection section in root.Sections)
        {
            switch (section.Name)
            {
                case "connections":
                    foreach (SettingsValue v in section.Values) ctx.Unsupported(v, section.PathOf(v.Key));
                    foreach (SettingsSection conn in section.Sections)
                    {
                        ConnectionConfig? c = LoadConnection(conn, ctx);
                        if (c is not null) connections.Add(c);
                    }
                    break;
                case "secrets":
                    foreach (SettingsValue v in section.Values) ctx.Unsupported(v, section.PathOf(v.Key));
                    foreach (SettingsSection secret in section.Sections)
                    {
                        if (secret.Name.StartsWith("ike", StringComparison.Ordinal))
                        {
                            SharedSecret? s = LoadSecret(secret, ctx);
                            if (s is not null) secrets.Add(s);
                        }
                        // strongSwan keeps XAUTH and EAP passwords as one kind of secret: either serves both.
                        else if (secret.Name.StartsWith("eap", StringComparison.Ordinal) || secret.Name.StartsWith("xauth", StringComparison.Ordinal))
                        {
                            EapSecret? s = LoadEapSecret(secret, ctx);
                            if (s is not null) eapSecrets.Add(s);
                        }
                        else ctx.Unsupported(secret);
                    }
                    break;
                case "pools":
                    LoadPools(section, ctx, pools);
                    break;
                case "l2tp":
                    l2tp = LoadL2tp(section, ctx);
                    break;
                default:
                    ctx.Unsupported(section);
                    break;
            }
        }

        if (ctx.Errors.Count > 0) return (null, ctx.Errors);
        return (new PortcullisConfig { Connections = connections, Secrets = secrets, EapSecrets = eapSecrets, Pools = pools, L2tp = l2tp }, ctx.Errors);
    }

    private sealed class Context
    {
        public List<ConfigError> Errors { get; } = [];

        public void Error(SourceLocation at, string key, string message) => Errors.Add(new ConfigError(at.File, at.Line, key, message));

        public void Error(SettingsValue v, string key, string message) => Error(v.Location, key, message);

        public void Unsupported(SettingsValue v, string key) => Error(v, key, $"the key '{v.Key}' {NotSupported}");

        public void Unsupported(SettingsSection s) => Error(s.Location, s.Path, $"the section '{s.Name}' {NotSupported}");

        /// <summary>Dispatches each key of <paramref name="section"/> to its handler; unknown keys are errors, empty values keep the default.</summary>
        public void ApplyValues<T>(SettingsSection section, T target, IReadOnlyDictionary<string, Action<T, SettingsValue, string, Context>> handlers)
        {
            foreach (SettingsValue v in section.Values)
            {
                string key = section.PathOf(v.Key);
                if (!handlers.TryGetValue(v.Key, out Action<T, SettingsValue, string, Context>? handler)) Unsupported(v, key);
                else if (v.Value.Length > 0) handler(target, v, key, this);
            }
        }

        public IReadOnlyList<string>? List(SettingsValue v, string key)
        {
            if (SwanctlValues.TrySplitList(v.Value, out IReadOnlyList<string> items, out string? error)) return items;
            Error(v, key, error!);
            return null;
        }

        public IReadOnlyList<Proposal>? Proposals(SettingsValue v, string key, ProposalKind kind)
        {
            (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(v.Value, kind);
            foreach (string e in errors) Error(v, key, e);
            return errors.Count == 0 ? proposals : null;
        }

        public TimeSpan? Duration(SettingsValue v, string key)
        {
            if (SwanctlValues.TryParseDuration(v.Value, out TimeSpan d, out string? error)) return d;
            Error(v, key, error!);
            return null;
        }

        public ulong? Volume(SettingsValue v, string key)
        {
            if (SwanctlValues.TryParseVolume(v.Value, out ulong n, out string? error)) return n;
            Error(v, key, error!);
            return null;
        }

        public CloseAction? Action(SettingsValue v, string key)
        {
            switch (v.Value.ToLowerInvariant())
            {
                case "none" or "clear": return CloseAction.None;
                case "trap" or "hold": return CloseAction.Trap;
                case "start" or "restart": return CloseAction.Start;
                default: Error(v, key, $"unknown action '{v.Value}' (clear, trap or restart)"); return null;
            }
        }

        public int? Port(SettingsValue v, string key)
        {
            if (SwanctlValues.TryParsePort(v.Value, out int port, out string? error)) return port;
            Error(v, key, error!);
            return null;
        }
    }

    // ---- connections.NAME ----

    private sealed class ConnectionBuilder
    {
        public int Version;
        public IReadOnlyList<string> LocalAddrs = [];
        public IReadOnlyList<string> RemoteAddrs = [];
        public int LocalPort = 500;
        public int RemotePort = 500;
        public IReadOnlyList<Proposal>? Proposals;
        public bool Encap;
        public TimeSpan RekeyTime = TimeSpan.FromHours(4);
        public TimeSpan ReauthTime;
        public TimeSpan? OverTime, RandTime;
        public TimeSpan DpdDelay, DpdTimeout;
        public FragmentationPolicy Fragmentation = FragmentationPolicy.Yes;
        public SendCertPolicy SendCert = SendCertPolicy.IfAsked;
        public bool SendCertReq = true;
        public IReadOnlyList<string> Pools = [];
        public IReadOnlyList<IPAddress> Vips = [];
        public IReadOnlyList<NativeClientProfile> Compat = [];
        public bool Mobike = true;
        public bool Aggressive;
        public bool Pull = true;
    }

    private static readonly Dictionary<string, Action<ConnectionBuilder, SettingsValue, string, Context>> s_connectionKeys = new()
    {
        ["version"] = (b, v, key, ctx) =>
        {
            if (v.Value is "0" or "1" or "2") b.Version = int.Parse(v.Value, CultureInfo.InvariantCulture);
            else ctx.Error(v, key, $"'{v.Value}' is not an IKE version (0, 1 or 2)");
        },
        ["local_addrs"] = (b, v, key, ctx) => b.LocalAddrs = ctx.List(v, key) ?? b.LocalAddrs,
        ["remote_addrs"] = (b, v, key, ctx) => b.RemoteAddrs = ctx.List(v, key) ?? b.RemoteAddrs,
        ["local_port"] = (b, v, key, ctx) => b.LocalPort = ctx.Port(v, key) ?? b.LocalPort,
        ["remote_port"] = (b, v, key, ctx) => b.RemotePort = ctx.Port(v, key) ?? b.RemotePort,
        ["proposals"] = (b, v, key, ctx) => b.Proposals = ctx.Proposals(v, key, ProposalKind.Ike),
        ["encap"] = (b, v, key, ctx) =>
        {
            if (SwanctlValues.TryParseBool(v.Value, out bool encap, out string? error)) b.Encap = encap;
            else ctx.Error(v, key, error!);
        },
        ["rekey_time"] = (b, v, key, ctx) => b.RekeyTime = ctx.Duration(v, key) ?? b.RekeyTime,
        ["reauth_time"] = (b, v, key, ctx) => b.ReauthTime = ctx.Duration(v, key) ?? b.ReauthTime,
        ["over_time"] = (b, v, key, ctx) => b.OverTime = ctx.Duration(v, key) ?? b.OverTime,
        ["rand_time"] = (b, v, key, ctx) => b.RandTime = ctx.Duration(v, key) ?? b.RandTime,
        ["dpd_delay"] = (b, v, key, ctx) => b.DpdDelay = ctx.Duration(v, key) ?? b.DpdDelay,
        ["dpd_timeout"] = (b, v, key, ctx) => b.DpdTimeout = ctx.Duration(v, key) ?? b.DpdTimeout,
        ["fragmentation"] = (b, v, key, ctx) =>
        {
            switch (v.Value.ToLowerInvariant())
            {
                case "yes": b.Fragmentation = FragmentationPolicy.Yes; break;
                case "accept": b.Fragmentation = FragmentationPolicy.Accept; break;
                case "force": b.Fragmentation = FragmentationPolicy.Force; break;
                case "no": b.Fragmentation = FragmentationPolicy.No; break;
                default: ctx.Error(v, key, $"unknown fragmentation '{v.Value}' (yes, accept, force or no)"); break;
            }
        },
        ["send_cert"] = (b, v, key, ctx) =>
        {
            switch (v.Value.ToLowerInvariant())
            {
                case "ifasked": b.SendCert = SendCertPolicy.IfAsked; break;
                case "always": b.SendCert = SendCertPolicy.Always; break;
                case "never": b.SendCert = SendCertPolicy.Never; break;
                default: ctx.Error(v, key, $"unknown send_cert '{v.Value}' (always, ifasked or never)"); break;
            }
        },
        ["send_certreq"] = (b, v, key, ctx) =>
        {
            if (SwanctlValues.TryParseBool(v.Value, out bool yes, out string? error)) b.SendCertReq = yes;
            else ctx.Error(v, key, error!);
        },
        ["pools"] = (b, v, key, ctx) => b.Pools = ctx.List(v, key) ?? b.Pools,
        ["vips"] = (b, v, key, ctx) =>
        {
            var vips = new List<IPAddress>();
            foreach (string item in ctx.List(v, key) ?? [])
            {
                if (IPAddress.TryParse(item, out IPAddress? ip)) vips.Add(ip);
                else ctx.Error(v, key, $"'{item}' is not an IP address (0.0.0.0 or :: asks for any address)");
            }
            b.Vips = vips;
        },
        // A Portcullis extension (strongSwan has no such key): also accept the built-in clients' default proposals.
        ["compat"] = (b, v, key, ctx) =>
        {
            if (NativeClientProfiles.TryParse(v.Value, out IReadOnlyList<NativeClientProfile> profiles, out string? error)) b.Compat = profiles;
            else ctx.Error(v, key, error!);
        },
        // IKEv1 only: Aggressive Mode instead of Main Mode (and, as responder, accepting it at all).
        ["aggressive"] = (b, v, key, ctx) =>
        {
            if (SwanctlValues.TryParseBool(v.Value, out bool aggressive, out string? error)) b.Aggressive = aggressive;
            else ctx.Error(v, key, error!);
        },
        // IKEv1 Mode Config: the client asks (yes) or the gateway pushes (no).
        ["pull"] = (b, v, key, ctx) =>
        {
            if (SwanctlValues.TryParseBool(v.Value, out bool pull, out string? error)) b.Pull = pull;
            else ctx.Error(v, key, error!);
        },
        ["mobike"] = (b, v, key, ctx) =>
        {
            if (SwanctlValues.TryParseBool(v.Value, out bool mobike, out string? error)) b.Mobike = mobike;
            else ctx.Error(v, key, error!);
        },
    };

    private static ConnectionConfig? LoadConnection(SettingsSection section, Context ctx)
    {
        int before = ctx.Errors.Count;
        var b = new ConnectionBuilder();
        ctx.ApplyValues(section, b, s_connectionKeys);

        var localRounds = new List<(SettingsSection Section, AuthConfig? Auth)>();
        var remoteRounds = new List<(SettingsSection Section, AuthConfig? Auth)>();
        var children = new List<ChildConfig>();
        foreach (SettingsSection sub in section.Sections)
        {
            if (sub.Name.StartsWith("local", StringComparison.Ordinal) || sub.Name.StartsWith("remote", StringComparison.Ordinal))
            {
                bool isLocal = sub.Name.StartsWith("local", StringComparison.Ordinal);
                (isLocal ? localRounds : remoteRounds).Add((sub, LoadAuth(sub, ctx, isLocal)));
            }
            else if (sub.Name == "children")
            {
                foreach (SettingsValue v in sub.Values) ctx.Unsupported(v, sub.PathOf(v.Key));
                foreach (SettingsSection child in sub.Sections)
                {
                    ChildConfig? c = LoadChild(child, ctx, b.Compat);
                    if (c is not null) children.Add(c);
                }
            }
            else ctx.Unsupported(sub);
        }
        // strongSwan's default for a missing round is auth = pubkey with any identity.
        AuthConfig? local = localRounds.Count == 0 ? new AuthConfig() : localRounds[0].Auth;
        AuthConfig? remote = remoteRounds.Count == 0 ? new AuthConfig() : remoteRounds[0].Auth;
        AuthConfig? localXauth = SecondRound(localRounds, b.Version, ctx);
        AuthConfig? remoteXauth = SecondRound(remoteRounds, b.Version, ctx);
        foreach ((SettingsSection s, AuthConfig? a) in new[] { localRounds.FirstOrDefault(), remoteRounds.FirstOrDefault() })
        {
            if (a?.Class == AuthClass.Xauth)
                ctx.Error(s.Value("auth")!, s.PathOf("auth"), $"XAUTH in the first round (hybrid authentication) {NotSupported}: put psk or pubkey first and auth = xauth in a second round (local-2 or remote-2)");
        }
        if (localXauth is not null && remoteXauth is not null)
            ctx.Error(section.Location, section.Path, $"XAUTH in both directions (local-2 and remote-2) {NotSupported}");

        if (b.Version == 1 && local is not null && remote is not null && local.Class != AuthClass.Xauth && remote.Class != AuthClass.Xauth)
        {
            // What IKEv1 cannot do here yet is refused, not ignored: EAP, a method per side.
            if (local.Class != remote.Class || local.Class == AuthClass.Eap)
                ctx.Error(section.Location, section.Path, $"IKEv1 (version = 1) with auth = {local.Auth} / {remote.Auth} {NotSupported} (psk or pubkey, the same on both sides, then xauth in a second round)");
        }
        if (section.Value("pull") is { } pull && b.Version != 1)
            ctx.Error(pull, section.PathOf("pull"), "pull (Mode Config push or pull) applies to IKEv1 only: set version = 1");
        if (ctx.Errors.Count > before || local is null || remote is null) return null;
        IReadOnlyList<Proposal> ike = b.Proposals ?? ProposalParser.Default(ProposalKind.Ike);
        return new ConnectionConfig
        {
            Name = section.Name,
            Location = section.Location,
            Version = b.Version,
            LocalAddrs = b.LocalAddrs,
            RemoteAddrs = b.RemoteAddrs,
            LocalPort = b.LocalPort,
            RemotePort = b.RemotePort,
            Proposals = NativeClientProfiles.Merge(ike, b.Compat, ProposalKind.Ike),
            ConfiguredProposals = ike,
            Compat = b.Compat,
            Encap = b.Encap,
            RekeyTime = b.RekeyTime,
            ReauthTime = b.ReauthTime,
            OverTime = b.OverTime,
            RandTime = b.RandTime,
            DpdDelay = b.DpdDelay,
            DpdTimeout = b.DpdTimeout,
            Fragmentation = b.Fragmentation,
            SendCert = b.SendCert,
            SendCertReq = b.SendCertReq,
            Pools = b.Pools,
            Vips = b.Vips,
            Mobike = b.Mobike,
            Aggressive = b.Aggressive,
            Local = local,
            Remote = remote,
            LocalXauth = localXauth,
            RemoteXauth = remoteXauth,
            Pull = b.Pull,
            Children = children,
        };
    }

    /// <summary>
    /// The second authentication round of one side, which can only be IKEv1 XAUTH (<c>auth = xauth</c> after psk or
    /// pubkey); null when there is none. Further rounds, and other second rounds (RFC 4739), are refused.
    /// </summary>
    private static AuthConfig? SecondRound(List<(SettingsSection Section, AuthConfig? Auth)> rounds, int version, Context ctx)
    {
        if (rounds.Count < 2) return null;
        foreach ((SettingsSection extra, _) in rounds.Skip(2))
            ctx.Error(extra.Location, extra.Path, "more than two authentication rounds are not supported yet");
        (SettingsSection section, AuthConfig? auth) = rounds[1];
        if (auth is null) return null;
        if (auth.Class != AuthClass.Xauth)
        {
            ctx.Error(section.Location, section.Path, $"multiple authentication rounds are not supported yet, except auth = xauth in the second round (IKEv1 XAUTH)");
            return null;
        }
        if (version != 1)
        {
            ctx.Error(section.Location, section.Path, "XAUTH (auth = xauth) is IKEv1's: set version = 1 on the connection");
            return null;
        }
        return auth;
    }

    // ---- connections.NAME.local* / remote* ----

    private sealed class AuthBuilder
    {
        public string? Auth;
        public Identity? Id;
        public IReadOnlyList<string> Certs = [];
        public IReadOnlyList<string> CaCerts = [];
        public string? EapId;
        public string? XauthId;
    }

    /// <summary>The methods Portcullis implements (strongSwan's names; <c>eap</c> lets the server pick, which is MS-CHAPv2).</summary>
    private static readonly string[] s_authMethods = ["psk", "pubkey", "rsa", "ecdsa", "eap", "eap-mschapv2", "xauth"];

    /// <summary>Authentication methods strongSwan has that later issues bring (prefixes: <c>eap-md5</c>, <c>xauth-pam</c>, <c>rsa/pss</c>).</summary>
    private static readonly string[] s_laterAuthMethods = ["pubkey", "rsa", "ecdsa", "ed25519", "ed448", "bliss", "eap", "xauth"];

    private static readonly Dictionary<string, Action<AuthBuilder, SettingsValue, string, Context>> s_authKeys = new()
    {
        ["auth"] = (b, v, key, ctx) =>
        {
            string method = v.Value.ToLowerInvariant();
            // xauth-generic is strongSwan's default XAUTH back end: user names and passwords from the secrets.
            if (method == "xauth-generic") method = "xauth";
            if (s_authMethods.Contains(method)) b.Auth = method;
            else if (method.StartsWith("xauth-", StringComparison.Ordinal))
                ctx.Error(v, key, $"XAUTH back end '{v.Value}' {NotSupported} (xauth or xauth-generic: the xauth- and eap- secrets)");
            else if (s_laterAuthMethods.Any(m => method.StartsWith(m, StringComparison.Ordinal)))
                ctx.Error(v, key, $"authentication method '{v.Value}' {NotSupported} ({string.Join(", ", s_authMethods)})");
            else ctx.Error(v, key, $"unknown authentication method '{v.Value}'");
        },
        ["id"] = (b, v, key, ctx) =>
        {
            if (v.Value is "%any" or "%any6") { b.Id = null; return; }
            if (Identity.TryParse(v.Value, out Identity? id, out string? error)) b.Id = id;
            else ctx.Error(v, key, error ?? $"'{v.Value}' is not an identity");
        },
        ["certs"] = (b, v, key, ctx) => b.Certs = ctx.List(v, key) ?? b.Certs,
        ["cacerts"] = (b, v, key, ctx) => b.CaCerts = ctx.List(v, key) ?? b.CaCerts,
        ["eap_id"] = (b, v, key, ctx) => b.EapId = v.Value,
        ["xauth_id"] = (b, v, key, ctx) => b.XauthId = v.Value,
    };

    private static AuthConfig? LoadAuth(SettingsSection section, Context ctx, bool local)
    {
        int before = ctx.Errors.Count;
        var b = new AuthBuilder();
        ctx.ApplyValues(section, b, s_authKeys);
        foreach (SettingsSection sub in section.Sections) ctx.Unsupported(sub);
        // Keys that only make sense on one side are refused on the other, so a misplaced key is not silently ignored.
        if (local && section.Value("cacerts") is { } ca) ctx.Error(ca, section.PathOf("cacerts"), "cacerts belongs in the remote section (the CAs the peer's certificate must chain to)");
        if (!local && section.Value("certs") is { } c) ctx.Error(c, section.PathOf("certs"), "certs belongs in the local section (our own certificates); use cacerts to restrict the peer's CA");
        if (b.Auth != "xauth" && section.Value("xauth_id") is { } x) ctx.Error(x, section.PathOf("xauth_id"), "xauth_id belongs in a round with auth = xauth");
        if (ctx.Errors.Count > before) return null;
        return new AuthConfig { Auth = b.Auth ?? "pubkey", Id = b.Id, Certs = b.Certs, CaCerts = b.CaCerts, EapId = b.EapId, XauthId = b.XauthId };
    }

    // ---- connections.NAME.children.NAME ----

    private sealed class ChildBuilder
    {
        public IReadOnlyList<TrafficSelector> LocalTs = [];
        public IReadOnlyList<TrafficSelector> RemoteTs = [];
        public DynamicSelector LocalDynamic = DynamicSelector.Any, RemoteDynamic = DynamicSelector.Any;
        public IReadOnlyList<Proposal>? EspProposals;
        public IReadOnlyList<Proposal> AhProposals = [];
        public ChildMode Mode = ChildMode.Tunnel;
        public StartAction StartAction = StartAction.None;
        public CloseAction CloseAction = CloseAction.None;
        public TimeSpan RekeyTime = TimeSpan.FromHours(1);
        public TimeSpan? LifeTime, RandTime;
        public ulong RekeyBytes, RekeyPackets;
        public ulong? LifeBytes, RandBytes, LifePackets, RandPackets;
        public CloseAction DpdAction = CloseAction.None;
    }

    private static readonly Dictionary<string, Action<ChildBuilder, SettingsValue, string, Context>> s_childKeys = new()
    {
        ["local_ts"] = (b, v, key, ctx) => (b.LocalTs, b.LocalDynamic) = TrafficSelectors(v, key, ctx) ?? (b.LocalTs, b.LocalDynamic),
        ["remote_ts"] = (b, v, key, ctx) => (b.RemoteTs, b.RemoteDynamic) = TrafficSelectors(v, key, ctx) ?? (b.RemoteTs, b.RemoteDynamic),
        ["esp_proposals"] = (b, v, key, ctx) => b.EspProposals = ctx.Proposals(v, key, ProposalKind.Esp),
        // AH (RFC 4302) instead of ESP; the firewall opens IP protocol 51 for it. With IKEv1 the daemon refuses at load
        // (DataPlaneSupport) proposals Quick Mode cannot carry.
        ["ah_proposals"] = (b, v, key, ctx) => b.AhProposals = AhProposals(v, key, ctx) ?? b.AhProposals,
        ["mode"] = (b, v, key, ctx) =>
        {
            switch (v.Value.ToLowerInvariant())
            {
                case "tunnel": b.Mode = ChildMode.Tunnel; break;
                case "transport": b.Mode = ChildMode.Transport; break;
                case "beet" or "pass" or "drop" or "transport_proxy":
                    ctx.Error(v, key, $"mode '{v.Value}' {NotSupported} (tunnel or transport)"); break;
                default: ctx.Error(v, key, $"unknown mode '{v.Value}' (tunnel or transport)"); break;
            }
        },
        ["start_action"] = (b, v, key, ctx) =>
        {
            switch (v.Value.ToLowerInvariant())
            {
                case "none": b.StartAction = StartAction.None; break;
                case "trap": b.StartAction = StartAction.Trap; break;
                case "start": b.StartAction = StartAction.Start; break;
                case "trap|start" or "start|trap":
                    ctx.Error(v, key, $"start_action '{v.Value}' {NotSupported} (none, trap or start)"); break;
                default: ctx.Error(v, key, $"unknown start_action '{v.Value}' (none, trap or start)"); break;
            }
        },
        ["close_action"] = (b, v, key, ctx) => b.CloseAction = ctx.Action(v, key) ?? b.CloseAction,
        ["dpd_action"] = (b, v, key, ctx) => b.DpdAction = ctx.Action(v, key) ?? b.DpdAction,
        ["rekey_time"] = (b, v, key, ctx) => b.RekeyTime = ctx.Duration(v, key) ?? b.RekeyTime,
        ["life_time"] = (b, v, key, ctx) => b.LifeTime = ctx.Duration(v, key) ?? b.LifeTime,
        ["rand_time"] = (b, v, key, ctx) => b.RandTime = ctx.Duration(v, key) ?? b.RandTime,
        ["rekey_bytes"] = (b, v, key, ctx) => b.RekeyBytes = ctx.Volume(v, key) ?? b.RekeyBytes,
        ["life_bytes"] = (b, v, key, ctx) => b.LifeBytes = ctx.Volume(v, key) ?? b.LifeBytes,
        ["rand_bytes"] = (b, v, key, ctx) => b.RandBytes = ctx.Volume(v, key) ?? b.RandBytes,
        ["rekey_packets"] = (b, v, key, ctx) => b.RekeyPackets = ctx.Volume(v, key) ?? b.RekeyPackets,
        ["life_packets"] = (b, v, key, ctx) => b.LifePackets = ctx.Volume(v, key) ?? b.LifePackets,
        ["rand_packets"] = (b, v, key, ctx) => b.RandPackets = ctx.Volume(v, key) ?? b.RandPackets,
    };

    /// <summary>
    /// Selectors as strongSwan writes them: addresses with an optional <c>[proto/port]</c>, or <c>dynamic</c> (also
    /// <c>%dynamic</c>) with one, e.g. <c>dynamic[udp/1701]</c>: the address in use with that protocol and port.
    /// </summary>
    private static (IReadOnlyList<TrafficSelector>, DynamicSelector)? TrafficSelectors(SettingsValue v, string key, Context ctx)
    {
        IReadOnlyList<string>? items = ctx.List(v, key);
        if (items is null) return null;
        var selectors = new List<TrafficSelector>();
        DynamicSelector? dynamic = null;
        bool ok = true;
        foreach (string item in items)
        {
            string text = item.StartsWith('%') ? item[1..] : item;
            if (text.StartsWith("dynamic", StringComparison.OrdinalIgnoreCase))
            {
                string rest = text["dynamic".Length..];
                if (rest.Length == 0) { dynamic = DynamicSelector.Any; continue; }
                // The protocol and port part parses as it does after an address; the address is a stand-in.
                string? why = null;
                if (rest.StartsWith('[') && TrafficSelector.TryParse("0.0.0.0" + rest, out TrafficSelector t, out why))
                {
                    dynamic = new DynamicSelector(t.Protocol, t.StartPort, t.EndPort);
                    continue;
                }
                ctx.Error(v, key, $"'{item}' is not a dynamic selector (dynamic, or dynamic[proto/port] such as dynamic[udp/1701]){(why is null ? "" : $": {why.Replace("0.0.0.0" + rest, item, StringComparison.Ordinal)}")}");
                ok = false;
                continue;
            }
            if (TrafficSelector.TryParse(item, out TrafficSelector ts, out string? error)) selectors.Add(ts);
            else
            {
                ctx.Error(v, key, error ?? $"'{item}' is not a traffic selector");
                ok = false;
            }
        }
        if (dynamic is not null && selectors.Count > 0)
        {
            ctx.Error(v, key, $"combining 'dynamic' with other traffic selectors {NotSupported}");
            ok = false;
        }
        return ok ? (selectors, dynamic ?? DynamicSelector.Any) : null;
    }

    // AH proposals (strongSwan's ah_proposals): integrity algorithms, optionally a PFS group and ESN, never encryption.
    private static IReadOnlyList<Proposal>? AhProposals(SettingsValue v, string key, Context ctx)
    {
        var proposals = new List<Proposal>();
        foreach (string item in v.Value.Split(',', StringSplitOptions.TrimEntries))
        {
            var transforms = new List<Crypto.Registry.Transform>();
            // strongSwan's AH default: the ESP default's integrity algorithms.
            if (item.Equals("default", StringComparison.OrdinalIgnoreCase))
                transforms.AddRange(ProposalParser.Default(ProposalKind.Esp).SelectMany(p => p.Integrity).Distinct());
            else foreach (string keyword in item.Split('-', StringSplitOptions.TrimEntries))
            {
                if (!Crypto.Registry.TransformRegistry.TryGet(keyword, out Crypto.Registry.Transform? t) || t is null)
                {
                    ctx.Error(v, key, $"unknown algorithm '{keyword}' in AH proposal '{item}'");
                    return null;
                }
                // strongSwan reads aes128gmac … aes256gmac in AH proposals as AUTH_AES_*_GMAC.
                if (Crypto.Registry.TransformRegistry.AhIntegrityFor(t) is { } integrity) t = integrity;
                else if (t is Crypto.Registry.EncryptionTransform or Crypto.Registry.IntegrityTransform || !t.ForEsp)
                {
                    ctx.Error(v, key, $"'{keyword}' ({t.Kind}) cannot be used in AH proposals (integrity only), in proposal '{item}'");
                    return null;
                }
                if (!transforms.Contains(t)) transforms.Add(t);
            }
            // ESN is a mandatory transform type of AH proposals too (RFC 7296 §3.3.3): noesn unless esn is named.
            if (!transforms.OfType<Crypto.Registry.EsnTransform>().Any()
                && Crypto.Registry.TransformRegistry.TryGet(Crypto.TransformType.ExtendedSequenceNumbers, 0, 0, out Crypto.Registry.Transform? noEsn) && noEsn is not null)
                transforms.Add(noEsn);
            if (!transforms.OfType<Crypto.Registry.IntegrityTransform>().Any())
            {
                ctx.Error(v, key, $"an integrity algorithm is mandatory in AH proposals, in proposal '{item}'");
                return null;
            }
            proposals.Add(new Proposal(transforms));
        }
        return proposals;
    }

    private static ChildConfig? LoadChild(SettingsSection section, Context ctx, IReadOnlyList<NativeClientProfile> compat)
    {
        int before = ctx.Errors.Count;
        var b = new ChildBuilder();
        ctx.ApplyValues(section, b, s_childKeys);
        foreach (SettingsSection sub in section.Sections) ctx.Unsupported(sub);
        if (ctx.Errors.Count > before) return null;
        IReadOnlyList<Proposal> esp = b.EspProposals ?? ProposalParser.Default(ProposalKind.Esp);
        return new ChildConfig
        {
            Name = section.Name,
            Location = section.Location,
            LocalTs = b.LocalTs,
            RemoteTs = b.RemoteTs,
            LocalDynamic = b.LocalDynamic,
            RemoteDynamic = b.RemoteDynamic,
            EspProposals = NativeClientProfiles.Merge(esp, compat, ProposalKind.Esp),
            ConfiguredEspProposals = esp,
            AhProposals = b.AhProposals,
            Mode = b.Mode,
            StartAction = b.StartAction,
            CloseAction = b.CloseAction,
            DpdAction = b.DpdAction,
            RekeyTime = b.RekeyTime,
            LifeTime = b.LifeTime,
            RandTime = b.RandTime,
            RekeyBytes = b.RekeyBytes,
            LifeBytes = b.LifeBytes,
            RandBytes = b.RandBytes,
            RekeyPackets = b.RekeyPackets,
            LifePackets = b.LifePackets,
            RandPackets = b.RandPackets,
        };
    }

    // ---- secrets.ike* ----

    private static SharedSecret? LoadSecret(SettingsSection section, Context ctx)
    {
        int before = ctx.Errors.Count;
        var ids = new List<Identity>();
        byte[]? secret = null;
        foreach (SettingsValue v in section.Values)
        {
            string key = section.PathOf(v.Key);
            if (v.Key == "secret")
            {
                if (SwanctlValues.TryDecodeSecret(v.Value, out byte[] bytes, out string? error)) secret = bytes;
                else ctx.Error(v, key, error!);
            }
            else if (v.Key.StartsWith("id", StringComparison.Ordinal))
            {
                if (v.Value.Length == 0 || v.Value is "%any" or "%any6") continue;
                if (Identity.TryParse(v.Value, out Identity? id, out string? error)) ids.Add(id!);
                else ctx.Error(v, key, error ?? $"'{v.Value}' is not an identity");
            }
            else ctx.Unsupported(v, key);
        }
        foreach (SettingsSection sub in section.Sections) ctx.Unsupported(sub);
        if (section.Value("secret") is null)
            ctx.Error(section.Location, section.PathOf("secret"), "missing 'secret'");
        if (ctx.Errors.Count > before || secret is null) return null;
        return new SharedSecret { Name = section.Name, Ids = ids, Secret = secret };
    }

    // ---- secrets.eap* ----

    // The same keys as an ike secret (strongSwan's swanctl reads both alike); the ids are EAP identities.
    private static EapSecret? LoadEapSecret(SettingsSection section, Context ctx)
    {
        SharedSecret? s = LoadSecret(section, ctx);
        return s is null ? null : new EapSecret { Name = s.Name, Ids = s.Ids, Secret = s.Secret };
    }
}
