using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Tests.Ikev2;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev1;

/// <summary>IKEv1 configurations for <see cref="EnginePair"/>: the same two hosts, <c>version = 1</c>.</summary>
internal static class Ikev1Pair
{
    public static ConnectionConfig Connection(bool left, string ike = "aes128-sha256-modp2048", string esp = "aes128-sha256",
        bool aggressive = false, ChildMode mode = ChildMode.Tunnel, bool encap = false, TimeSpan? dpdDelay = null, TimeSpan? dpdTimeout = null,
        CloseAction dpdAction = CloseAction.None, TimeSpan? childRekey = null, TimeSpan? childLife = null, IReadOnlyList<TrafficSelector>? localTs = null,
        IReadOnlyList<TrafficSelector>? remoteTs = null, string? remoteId = null, bool rightInitiates = false, ulong lifeBytes = 0,
        CloseAction closeAction = CloseAction.None, TimeSpan? ikeRekey = null, string? ah = null)
    {
        var child = new ChildConfig
        {
            Name = "net",
            Location = new SourceLocation("test", 1),
            LocalTs = localTs ?? [left ? LeftNet : RightNet],
            RemoteTs = remoteTs ?? [left ? RightNet : LeftNet],
            EspProposals = esp.Split(',').Select(p => P(p, ike: false)).ToList(),
            AhProposals = ah is null ? [] : ah.Split(',').Select(AhProposal).ToList(),
            Mode = mode,
            DpdAction = dpdAction,
            RekeyTime = childRekey ?? TimeSpan.FromHours(1),
            LifeTime = childLife,
            LifeBytes = lifeBytes == 0 ? null : lifeBytes,
            CloseAction = closeAction,
        };
        return new ConnectionConfig
        {
            Name = "net",
            Version = 1,
            Location = new SourceLocation("test", 1),
            LocalAddrs = left ? ["192.0.2.1"] : ["192.0.2.2"],
            RemoteAddrs = left ? ["192.0.2.2"] : rightInitiates ? ["192.0.2.1"] : [],
            Proposals = ike.Split(',').Select(p => P(p, ike: true)).ToList(),
            Aggressive = aggressive,
            RekeyTime = ikeRekey ?? TimeSpan.FromHours(4),
            Encap = encap,
            DpdDelay = dpdDelay ?? TimeSpan.Zero,
            DpdTimeout = dpdTimeout ?? TimeSpan.Zero,
            Local = new AuthConfig { Auth = "psk", Id = Id(left ? "@left.example" : "@right.example") },
            Remote = new AuthConfig { Auth = "psk", Id = Id(remoteId ?? (left ? "@right.example" : "@left.example")) },
            Children = [child],
        };
    }

    public static EnginePair Create(string ike = "aes128-sha256-modp2048", string esp = "aes128-sha256", byte[]? rightPsk = null,
        bool aggressiveLeft = false, bool aggressiveRight = false, ChildMode mode = ChildMode.Tunnel, string? rightEsp = null, string? rightIke = null) =>
        new(MakeConfig(Connection(left: true, ike, esp, aggressive: aggressiveLeft, mode: mode)),
            MakeConfig(Connection(left: false, rightIke ?? ike, rightEsp ?? esp, aggressive: aggressiveRight, mode: mode), rightPsk));

    public static EnginePair Create(ConnectionConfig left, ConnectionConfig right, byte[]? rightPsk = null) =>
        new(MakeConfig(left), MakeConfig(right, rightPsk));
}
