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
    /// <summary>Connections, in file order.</summary>
    public required IReadOnlyList<ConnectionConfig> Connections { get; init; }

    /// <summary>Shared secrets (the <c>secrets { ike-… { id, secret } }</c> sections).</summary>
    public required IReadOnlyList<SharedSecret> Secrets { get; init; }

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

    /// <summary>IKE proposals, in order of preference (strongSwan's <c>default</c> when unset).</summary>
    public required IReadOnlyList<Proposal> Proposals { get; init; }

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

    /// <summary>The <c>local</c> (or first <c>local*</c>) authentication round.</summary>
    public required AuthConfig Local { get; init; }

    /// <summary>The <c>remote</c> (or first <c>remote*</c>) authentication round.</summary>
    public required AuthConfig Remote { get; init; }

    /// <summary>The CHILD SA configurations.</summary>
    public required IReadOnlyList<ChildConfig> Children { get; init; }

    /// <summary>The first configured remote address that is a literal IP, for initiating; null if none.</summary>
    public IPAddress? RemoteAddress => RemoteAddrs.Select(a => IPAddress.TryParse(a, out IPAddress? ip) ? ip : null).FirstOrDefault(ip => ip is not null);

    /// <summary>The first configured local address that is a literal IP; null if none.</summary>
    public IPAddress? LocalAddress => LocalAddrs.Select(a => IPAddress.TryParse(a, out IPAddress? ip) ? ip : null).FirstOrDefault(ip => ip is not null);
}

/// <summary>One authentication round (<c>local { auth, id }</c> / <c>remote { auth, id }</c>).</summary>
public sealed class AuthConfig
{
    /// <summary>The method: <c>psk</c> (the only one issue 3 implements), later <c>pubkey</c>, <c>eap-…</c>, <c>xauth</c>.</summary>
    public string Auth { get; init; } = "pubkey";

    /// <summary>The identity; null means the IP address in use (strongSwan's default) for local, any for remote.</summary>
    public Identity? Id { get; init; }
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

    /// <summary>ESP proposals, in order of preference (strongSwan's ESP <c>default</c> when unset).</summary>
    public required IReadOnlyList<Proposal> EspProposals { get; init; }

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
