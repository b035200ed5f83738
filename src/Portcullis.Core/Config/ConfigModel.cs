using System.Net;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Config;

/// <summary>Where a setting was written.</summary>
public readonly record struct SourceLocation(string File, int Line)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>A configuration error: the file, the line and the key it concerns, and why.</summary>
public sealed record ConfigError(string File, int Line, string Key, string Message)
{
    /// <summary><c>/etc/portcullis/swanctl.conf:12: connections.gw.proposals: unknown algorithm 'aes999'</c>.</summary>
    public override string ToString() =>
        (Line > 0 ? $"{File}:{Line}: " : $"{File}: ") + (Key.Length > 0 ? $"{Key}: " : "") + Message;
}

/// <summary>The whole configuration: connections and secrets, as loaded from swanctl.conf and its includes.</summary>
public sealed class PortcullisConfig
{
    /// <summary>The L2TP server (<c>l2tp</c> section, a Portcullis extension); null when there is none.</summary>
    public L2tpConfig? L2tp { get; init; }

    /// <summary>Connections, in file order.</summary>
    public required IReadOnlyList<ConnectionConfig> Connections { get; init; }

    /// <summary>Shared secrets (the <c>secrets { ike-… { id, secret } }</c> sections).</summary>
    public required IReadOnlyList<SharedSecret> Secrets { get; init; }

    /// <summary>Virtual IP pools (the <c>pools { NAME { addrs, dns, nbns } }</c> sections), in file order.</summary>
    public IReadOnlyList<PoolConfig> Pools { get; init; } = [];

    /// <summary>
    /// The PSK for a pair of identities, strongSwan's way: the best match among secrets whose ids include the local
    /// and/or the remote identity; a secret without ids matches any pair, with the lowest preference.
    /// </summary>
    public SharedSecret? FindSharedSecret(Identity local, Identity remote)
    {
        SharedSecret? best = null;
        int bestScore = -1;
        foreach (SharedSecret s in Secrets)
        {
            int score;
            if (s.Ids.Count == 0) score = 0;
            else
            {
                bool l = s.Ids.Any(i => i.Equals(local)), r = s.Ids.Any(i => i.Equals(remote));
                if (!l && !r) continue;
                score = (l ? 1 : 0) + (r ? 2 : 0);
            }
            if (score > bestScore) { best = s; bestScore = score; }
        }
        return best;
    }

    /// <summary>EAP secrets (the <c>secrets { eap-… { id, secret } }</c> sections).</summary>
    public IReadOnlyList<EapSecret> EapSecrets { get; init; } = [];

    /// <summary>
    /// The secret of an EAP user, strongSwan's way: a secret whose ids include <paramref name="identity"/> (read as
    /// swanctl.conf reads an identity, so <c>alice</c> and <c>@alice</c> both match the EAP identity <c>alice</c>, and
    /// FQDN and e-mail ids compare without regard to ASCII case), else a secret without ids, which strongSwan lets
    /// match any user; the first in file order wins.
    /// </summary>
    public EapSecret? FindEapSecret(string identity)
    {
        Identity id = Identity.TryParse(identity, out Identity? parsed, out _)
            ? parsed!
            : new Identity(IdType.KeyId, System.Text.Encoding.UTF8.GetBytes(identity));
        EapSecret? anyUser = null;
        foreach (EapSecret s in EapSecrets)
        {
            if (s.Ids.Count == 0) anyUser ??= s;
            else if (s.Ids.Any(i => EapSecret.SameIdentity(i, id))) return s;
        }
        return anyUser;
    }
}

/// <summary>What a CHILD SA's <c>start_action</c> asks for when the config is loaded.</summary>
public enum StartAction
{
    /// <summary>Nothing: wait for the peer or a command.</summary>
    None,
    /// <summary>Install a trap policy; initiate on matching traffic.</summary>
    Trap,
    /// <summary>Initiate at once.</summary>
    Start,
}

/// <summary>What to do when the peer closes a CHILD SA (<c>close_action</c>) or DPD declares it dead.</summary>
public enum CloseAction
{
    /// <summary>Nothing.</summary>
    None,
    /// <summary>Install a trap policy.</summary>
    Trap,
    /// <summary>Initiate again at once.</summary>
    Start,
}

/// <summary>IPsec mode of a CHILD SA.</summary>
public enum ChildMode
{
    /// <summary>Tunnel mode: whole IP packets inside ESP.</summary>
    Tunnel,
    /// <summary>Transport mode: only the payload inside ESP.</summary>
    Transport,
}

/// <summary>
/// IKE fragmentation (RFC 7383) for a connection (<c>fragmentation</c>, strongSwan's values). Fragments a peer sends
/// are accepted whatever the value.
/// </summary>
public enum FragmentationPolicy
{
    /// <summary>Announce support; send oversized messages in fragments when the peer announced support too (the default).</summary>
    Yes,
    /// <summary>Announce support but never send fragments.</summary>
    Accept,
    /// <summary>strongSwan's IKEv1 option to fragment even the first message; for IKEv2 the same as <see cref="Yes"/>.</summary>
    Force,
    /// <summary>Do not announce support (so never send fragments).</summary>
    No,
}

/// <summary>One <c>connections.NAME</c> section.</summary>
public sealed class ConnectionConfig
{
    /// <summary>The section's name.</summary>
    public required string Name { get; init; }

    /// <summary>Where the section starts.</summary>
    public required SourceLocation Location { get; init; }

    /// <summary>IKE version: 0 (any), 1 or 2. strongSwan's default is 0; Portcullis initiates IKEv2 then.</summary>
    public int Version { get; init; }

    /// <summary>Local addresses (IP, CIDR, range or <c>%any</c>); empty means any.</summary>
    public IReadOnlyList<string> LocalAddrs { get; init; } = [];

    /// <summary>Remote addresses (IP, hostname, CIDR, range or <c>%any</c>); empty means any (responder only).</summary>
    public IReadOnlyList<string> RemoteAddrs { get; init; } = [];

    /// <summary>Local IKE port (default 500).</summary>
    public int LocalPort { get; init; } = 500;

    /// <summary>Remote IKE port (default 500).</summary>
    public int RemotePort { get; init; } = 500;

    /// <summary>
    /// IKE proposals, in order of preference: the configured ones (strongSwan's <c>default</c> when unset), followed by
    /// those <see cref="Compat"/> adds.
    /// </summary>
    public required IReadOnlyList<Proposal> Proposals { get; init; }

    /// <summary>The IKE proposals as configured, before <see cref="Compat"/> added any (the same list without compat).</summary>
    public IReadOnlyList<Proposal> ConfiguredProposals { get => _configuredProposals ?? Proposals; init => _configuredProposals = value; }

    private readonly IReadOnlyList<Proposal>? _configuredProposals;

    /// <summary>The native-client profiles whose proposals this connection also accepts (<c>compat</c>, a Portcullis extension).</summary>
    public IReadOnlyList<NativeClientProfile> Compat { get; init; } = [];

    /// <summary>Force UDP encapsulation of ESP by faking NAT detection (<c>encap</c>).</summary>
    public bool Encap { get; init; }

    /// <summary>IKE SA rekey interval (<c>rekey_time</c>, default 4h; zero: never).</summary>
    public TimeSpan RekeyTime { get; init; } = TimeSpan.FromHours(4);

    /// <summary>Reauthentication interval: a new IKE SA from scratch (<c>reauth_time</c>, default 0: never).</summary>
    public TimeSpan ReauthTime { get; init; }

    /// <summary>
    /// Hard lifetime beyond the later of rekey and reauth time (<c>over_time</c>; null: strongSwan's default, 10 % of
    /// that time).
    /// </summary>
    public TimeSpan? OverTime { get; init; }

    /// <summary>Range of the random time taken off rekey/reauth times so both ends do not rekey at once (<c>rand_time</c>; null: over_time).</summary>
    public TimeSpan? RandTime { get; init; }

    /// <summary>Interval of liveness checks when nothing arrived from the peer (<c>dpd_delay</c>; zero: off).</summary>
    public TimeSpan DpdDelay { get; init; }

    /// <summary>
    /// How long a liveness check may go unanswered before the peer is declared dead (<c>dpd_timeout</c>; zero: the
    /// retransmission schedule decides, as strongSwan does for IKEv2).
    /// </summary>
    public TimeSpan DpdTimeout { get; init; }

    /// <summary>The hard lifetime after rekey/reauth time, with strongSwan's default.</summary>
    public TimeSpan EffectiveOverTime => OverTime ?? (RekeyTime > ReauthTime ? RekeyTime : ReauthTime) / 10;

    /// <summary>The jitter range, with strongSwan's default.</summary>
    public TimeSpan EffectiveRandTime => RandTime ?? EffectiveOverTime;

    /// <summary>IKE fragmentation (<c>fragmentation</c>, default yes).</summary>
    public FragmentationPolicy Fragmentation { get; init; } = FragmentationPolicy.Yes;

    /// <summary>
    /// MOBIKE (RFC 4555, <c>mobike</c>, default yes): offered in IKE_AUTH, and the peer may move the IKE SA and its
    /// CHILD SAs to new addresses; as initiator, IKE moves to the NAT-T port after IKE_SA_INIT even without a NAT.
    /// </summary>
    public bool Mobike { get; init; } = true;

    /// <summary>
    /// IKEv1 Aggressive Mode (<c>aggressive</c>, default no): initiate with it instead of Main Mode, and accept it as
    /// responder. With a PSK its responder sends a hash that can be cracked offline, so it is refused unless set.
    /// </summary>
    public bool Aggressive { get; init; }

    /// <summary>The <c>local</c> (or first <c>local*</c>) authentication round.</summary>
    public required AuthConfig Local { get; init; }

    /// <summary>The <c>remote</c> (or first <c>remote*</c>) authentication round.</summary>
    public required AuthConfig Remote { get; init; }

    /// <summary>
    /// IKEv1 XAUTH as its client (<c>local-2 { auth = xauth; xauth_id = NAME }</c>): after phase 1 the gateway asks for
    /// a user name and password, answered from the <c>xauth-</c> (or <c>eap-</c>) secret of <see cref="AuthConfig.XauthId"/>.
    /// </summary>
    public AuthConfig? LocalXauth { get; init; }

    /// <summary>
    /// IKEv1 XAUTH as its server (<c>remote-2 { auth = xauth }</c>): after phase 1 we ask the peer for a user name and
    /// password and check them against the <c>xauth-</c> and <c>eap-</c> secrets, as strongSwan's xauth-generic does.
    /// </summary>
    public AuthConfig? RemoteXauth { get; init; }

    /// <summary>
    /// IKEv1 Mode Config direction (<c>pull</c>, default yes): the client asks with a REQUEST; with <c>no</c> the gateway
    /// pushes the address with a SET.
    /// </summary>
    public bool Pull { get; init; } = true;

    /// <summary>The CHILD SA configurations.</summary>
    public required IReadOnlyList<ChildConfig> Children { get; init; }

    /// <summary>When to send our certificate (<c>send_cert</c>).</summary>
    public SendCertPolicy SendCert { get; init; } = SendCertPolicy.IfAsked;

    /// <summary>Send CERTREQ payloads for the CAs we trust (<c>send_certreq</c>, default yes).</summary>
    public bool SendCertReq { get; init; } = true;

    /// <summary>Address pools to assign virtual IPs from (<c>pools</c>), as responder.</summary>
    public IReadOnlyList<string> Pools { get; init; } = [];

    /// <summary>Virtual IPs to request (<c>vips</c>, e.g. <c>0.0.0.0</c> for any IPv4 address), as initiator.</summary>
    public IReadOnlyList<IPAddress> Vips { get; init; } = [];

    /// <summary>The first configured remote address that is a literal IP, for initiating; null if none.</summary>
    public IPAddress? RemoteAddress => RemoteAddrs.Select(a => IPAddress.TryParse(a, out IPAddress? ip) ? ip : null).FirstOrDefault(ip => ip is not null);

    /// <summary>The first configured local address that is a literal IP; null if none.</summary>
    public IPAddress? LocalAddress => LocalAddrs.Select(a => IPAddress.TryParse(a, out IPAddress? ip) ? ip : null).FirstOrDefault(ip => ip is not null);
}

/// <summary>How one side authenticates in IKE_AUTH.</summary>
public enum AuthClass
{
    /// <summary>A pre-shared key (<c>psk</c>).</summary>
    Psk,
    /// <summary>A signature with a certificate's key (<c>pubkey</c>, <c>rsa</c>, <c>ecdsa</c>).</summary>
    PublicKey,
    /// <summary>EAP inside IKE_AUTH (<c>eap-mschapv2</c>, <c>eap</c>), then AUTH from the MSK (RFC 7296 §2.16).</summary>
    Eap,
    /// <summary>IKEv1 XAUTH after phase 1 (<c>xauth</c>, <c>xauth-generic</c>): a second round only.</summary>
    Xauth,
}

/// <summary>When to send our certificate (<c>send_cert</c>).</summary>
public enum SendCertPolicy
{
    /// <summary>Only when the peer sent a CERTREQ (strongSwan's default).</summary>
    IfAsked,
    /// <summary>Always.</summary>
    Always,
    /// <summary>Never (the peer has it already).</summary>
    Never,
}

/// <summary>One authentication round (<c>local { auth, id, certs, eap_id }</c> / <c>remote { auth, id, cacerts, eap_id }</c>).</summary>
public sealed class AuthConfig
{
    /// <summary>The method as written, lower case: <c>psk</c>, <c>pubkey</c>, <c>rsa</c>, <c>ecdsa</c>, <c>eap</c>, <c>eap-mschapv2</c>.</summary>
    public string Auth { get; init; } = "pubkey";

    /// <summary>The kind of the method.</summary>
    public AuthClass Class => Auth switch
    {
        "psk" => AuthClass.Psk,
        "xauth" => AuthClass.Xauth,
        _ when Auth.StartsWith("eap", StringComparison.Ordinal) => AuthClass.Eap,
        _ => AuthClass.PublicKey,
    };

    /// <summary>The identity; null means the IP address in use (strongSwan's default) for local, any for remote.</summary>
    public Identity? Id { get; init; }

    /// <summary>Own certificates (<c>certs</c>), file names relative to <c>x509/</c> or absolute paths.</summary>
    public IReadOnlyList<string> Certs { get; init; } = [];

    /// <summary>CA certificates the peer's chain must end in (<c>cacerts</c>, relative to <c>x509ca/</c>); empty: any loaded CA.</summary>
    public IReadOnlyList<string> CaCerts { get; init; } = [];

    /// <summary>
    /// The EAP identity (<c>eap_id</c>). Local: the identity we answer EAP-Identity with (default: our IKE identity).
    /// Remote: the identity the peer must prove; <c>%any</c> asks the peer with EAP-Identity; null uses its IKE identity.
    /// </summary>
    public string? EapId { get; init; }

    /// <summary>
    /// The XAUTH user name (<c>xauth_id</c>). Local: the name we answer the gateway with (default: our IKE identity).
    /// Remote: the only user name the peer may authenticate as (default: any with a secret).
    /// </summary>
    public string? XauthId { get; init; }

    /// <summary>Remote <c>eap_id = %any</c>: ask for the EAP identity.</summary>
    public bool AsksEapIdentity => EapId is "%any" or "%any6";
}

/// <summary>One <c>children.NAME</c> section.</summary>
public sealed class ChildConfig
{
    /// <summary>The section's name.</summary>
    public required string Name { get; init; }

    /// <summary>Where the section starts.</summary>
    public required SourceLocation Location { get; init; }

    /// <summary>Local traffic selectors; empty means <c>dynamic</c> (the local address in use).</summary>
    public IReadOnlyList<TrafficSelector> LocalTs { get; init; } = [];

    /// <summary>Remote traffic selectors; empty means <c>dynamic</c> (the remote address in use).</summary>
    public IReadOnlyList<TrafficSelector> RemoteTs { get; init; } = [];

    /// <summary>Protocol and ports of a dynamic <see cref="LocalTs"/> (<c>local_ts = dynamic[udp/1701]</c>).</summary>
    public DynamicSelector LocalDynamic { get; init; } = DynamicSelector.Any;

    /// <summary>Protocol and ports of a dynamic <see cref="RemoteTs"/>.</summary>
    public DynamicSelector RemoteDynamic { get; init; } = DynamicSelector.Any;

    /// <summary>
    /// ESP proposals, in order of preference: the configured ones (strongSwan's ESP <c>default</c> when unset), followed
    /// by those the connection's <c>compat</c> adds.
    /// </summary>
    public required IReadOnlyList<Proposal> EspProposals { get; init; }

    /// <summary>The ESP proposals as configured, before the connection's <c>compat</c> added any.</summary>
    public IReadOnlyList<Proposal> ConfiguredEspProposals { get => _configuredEspProposals ?? EspProposals; init => _configuredEspProposals = value; }

    private readonly IReadOnlyList<Proposal>? _configuredEspProposals;

    /// <summary>
    /// AH proposals (<c>ah_proposals</c>): when set, the child negotiates AH (IP protocol 51, RFC 4302) instead of ESP,
    /// as strongSwan does: integrity only, never across a NAT.
    /// </summary>
    public IReadOnlyList<Proposal> AhProposals { get; init; } = [];

    /// <summary>The child negotiates AH rather than ESP (<c>ah_proposals</c> is set).</summary>
    public bool UsesAh => AhProposals.Count > 0;

    /// <summary>The proposals the child negotiates: <see cref="AhProposals"/> when set, otherwise <see cref="EspProposals"/>.</summary>
    public IReadOnlyList<Proposal> ChildProposals => UsesAh ? AhProposals : EspProposals;

    /// <summary>Tunnel or transport.</summary>
    public ChildMode Mode { get; init; } = ChildMode.Tunnel;

    /// <summary>What to do on load.</summary>
    public StartAction StartAction { get; init; } = StartAction.None;

    /// <summary>What to do when the peer closes the CHILD SA.</summary>
    public CloseAction CloseAction { get; init; } = CloseAction.None;

    /// <summary>What to do when DPD or a retransmission timeout declares the peer dead (<c>dpd_action</c>: clear, trap, restart).</summary>
    public CloseAction DpdAction { get; init; } = CloseAction.None;

    /// <summary>CHILD SA rekey interval (<c>rekey_time</c>, default 1h; zero: never).</summary>
    public TimeSpan RekeyTime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Hard lifetime (<c>life_time</c>; null: rekey_time + 10 %).</summary>
    public TimeSpan? LifeTime { get; init; }

    /// <summary>Random time taken off rekey_time (<c>rand_time</c>; null: life_time − rekey_time).</summary>
    public TimeSpan? RandTime { get; init; }

    /// <summary>Rekey after this many bytes in either direction (<c>rekey_bytes</c>; 0: off).</summary>
    public ulong RekeyBytes { get; init; }

    /// <summary>Hard byte limit (<c>life_bytes</c>; null: rekey_bytes + 10 %).</summary>
    public ulong? LifeBytes { get; init; }

    /// <summary>Random bytes taken off rekey_bytes (<c>rand_bytes</c>; null: life_bytes − rekey_bytes).</summary>
    public ulong? RandBytes { get; init; }

    /// <summary>Rekey after this many packets in either direction (<c>rekey_packets</c>; 0: off).</summary>
    public ulong RekeyPackets { get; init; }

    /// <summary>Hard packet limit (<c>life_packets</c>; null: rekey_packets + 10 %).</summary>
    public ulong? LifePackets { get; init; }

    /// <summary>Random packets taken off rekey_packets (<c>rand_packets</c>; null: life_packets − rekey_packets).</summary>
    public ulong? RandPackets { get; init; }

    /// <summary>The hard lifetime, with strongSwan's default.</summary>
    public TimeSpan EffectiveLifeTime => LifeTime ?? RekeyTime + RekeyTime / 10;

    /// <summary>The jitter range of the rekey time, with strongSwan's default.</summary>
    public TimeSpan EffectiveRandTime => RandTime ?? (EffectiveLifeTime > RekeyTime ? EffectiveLifeTime - RekeyTime : TimeSpan.Zero);

    /// <summary>The hard byte limit, with strongSwan's default.</summary>
    public ulong EffectiveLifeBytes => LifeBytes ?? RekeyBytes + RekeyBytes / 10;

    /// <summary>The hard packet limit, with strongSwan's default.</summary>
    public ulong EffectiveLifePackets => LifePackets ?? RekeyPackets + RekeyPackets / 10;

    /// <summary>The jitter range of rekey_bytes, with strongSwan's default (life_bytes − rekey_bytes, never negative).</summary>
    public ulong EffectiveRandBytes => RandBytes ?? (EffectiveLifeBytes > RekeyBytes ? EffectiveLifeBytes - RekeyBytes : 0);

    /// <summary>The jitter range of rekey_packets, with strongSwan's default.</summary>
    public ulong EffectiveRandPackets => RandPackets ?? (EffectiveLifePackets > RekeyPackets ? EffectiveLifePackets - RekeyPackets : 0);
}

/// <summary>One <c>secrets.ike-NAME</c> section.</summary>
public sealed class SharedSecret
{
    /// <summary>The section's name (<c>ike-gw</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Identities the secret belongs to (<c>id</c>, <c>id-*</c>); empty matches any.</summary>
    public IReadOnlyList<Identity> Ids { get; init; } = [];

    /// <summary>The secret's bytes (<c>0x…</c> and <c>0s…</c> decoded as strongSwan does).</summary>
    public required byte[] Secret { get; init; }
}

/// <summary>One <c>secrets.eap-NAME</c> section: an EAP user's password.</summary>
public sealed class EapSecret
{
    /// <summary>The section's name (<c>eap-alice</c>, or <c>xauth-alice</c>: strongSwan keeps both kinds as one).</summary>
    public required string Name { get; init; }

    /// <summary>The EAP identities the secret belongs to (<c>id</c>, <c>id-*</c>); empty matches any user.</summary>
    public IReadOnlyList<Identity> Ids { get; init; } = [];

    /// <summary>The secret's bytes (<c>0x…</c> and <c>0s…</c> decoded as strongSwan does).</summary>
    public required byte[] Secret { get; init; }

    /// <summary>strongSwan's identity equality: FQDN and RFC 822 ids ignore ASCII case, others compare bytes.</summary>
    internal static bool SameIdentity(Identity a, Identity b)
    {
        if (a.Type != b.Type || a.Data.Length != b.Data.Length) return false;
        if (a.Type is not (IdType.Fqdn or IdType.Rfc822Addr)) return a.Data.AsSpan().SequenceEqual(b.Data);
        for (int i = 0; i < a.Data.Length; i++)
        {
            byte x = a.Data[i], y = b.Data[i];
            if (x != y && !(char.IsAsciiLetter((char)x) && char.IsAsciiLetter((char)y) && (x | 0x20) == (y | 0x20))) return false;
        }
        return true;
    }
}
