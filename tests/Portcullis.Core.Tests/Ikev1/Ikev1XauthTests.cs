using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Tests.Ikev2;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev1;

/// <summary>
/// XAUTH and Mode Config between two of our engines under a fake clock: left is the Cisco-style client
/// (<c>local-2 { auth = xauth }</c>, <c>vips = 0.0.0.0</c>), right the gateway (<c>remote-2 { auth = xauth }</c>, a pool).
/// </summary>
public class Ikev1XauthTests
{
    private static readonly byte[] AlicePassword = "alice's long password"u8.ToArray();
    private static readonly byte[] BobPassword = "bob's other password"u8.ToArray();

    private static ChildConfig Child(string name, IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote) => new()
    {
        Name = name,
        Location = new SourceLocation("test", 1),
        LocalTs = local,
        RemoteTs = remote,
        EspProposals = [P("aes128-sha256", ike: false)],
    };

    private static ConnectionConfig Client(string name = "home", string user = "alice", bool vips = true, bool pull = true, IReadOnlyList<TrafficSelector>? localTs = null,
        TimeSpan? rekey = null) => new()
    {
        RekeyTime = rekey ?? TimeSpan.FromHours(4),
        Name = name,
        Version = 1,
        Location = new SourceLocation("test", 1),
        LocalAddrs = ["192.0.2.1"],
        RemoteAddrs = ["192.0.2.2"],
        Proposals = [P("aes128-sha256-modp2048", ike: true)],
        Local = new AuthConfig { Auth = "psk", Id = Id("@left.example") },
        Remote = new AuthConfig { Auth = "psk", Id = Id("@right.example") },
        LocalXauth = new AuthConfig { Auth = "xauth", XauthId = user },
        Vips = vips ? [IPAddress.Any] : [],
        Pull = pull,
        // dynamic: the virtual IP once Mode Config gave one.
        Children = [Child("net-" + user, localTs ?? [], [RightNet])],
    };

    private static ConnectionConfig Gateway(bool pull = true, IReadOnlyList<TrafficSelector>? remoteTs = null, string? onlyUser = null) => new()
    {
        Name = "rw",
        Version = 1,
        Location = new SourceLocation("test", 1),
        LocalAddrs = ["192.0.2.2"],
        Proposals = [P("aes128-sha256-modp2048", ike: true)],
        Local = new AuthConfig { Auth = "psk", Id = Id("@right.example") },
        Remote = new AuthConfig { Auth = "psk" },
        RemoteXauth = new AuthConfig { Auth = "xauth", XauthId = onlyUser },
        Pools = ["rw"],
        Pull = pull,
        Children = [Child("net", [RightNet], remoteTs ?? [])],
    };

    private static readonly SharedSecret Psk = new() { Name = "ike-test", Ids = [Id("@left.example"), Id("@right.example")], Secret = DefaultPsk };

    private static PortcullisConfig ClientConfig(byte[]? alicePassword = null, params ConnectionConfig[] connections) => new()
    {
        Connections = connections.Length > 0 ? connections : [Client()],
        Secrets = [Psk],
        EapSecrets =
        [
            new EapSecret { Name = "xauth-alice", Ids = [Id("alice")], Secret = alicePassword ?? AlicePassword },
            new EapSecret { Name = "xauth-bob", Ids = [Id("bob")], Secret = BobPassword },
        ],
    };

    private static PortcullisConfig GatewayConfig(ConnectionConfig? gateway = null) => new()
    {
        Connections = [gateway ?? Gateway()],
        Secrets = [Psk],
        // One user as an xauth- secret, the other as an eap- secret: xauth-generic takes both.
        EapSecrets =
        [
            new EapSecret { Name = "xauth-alice", Ids = [Id("alice")], Secret = AlicePassword },
            new EapSecret { Name = "eap-bob", Ids = [Id("bob")], Secret = BobPassword },
        ],
        Pools = [new PoolConfig { Name = "rw", Addrs = Range("198.18.100.0/24"), Dns = [IPAddress.Parse("198.18.0.53")], Nbns = [IPAddress.Parse("198.18.0.54")] }],
    };

    private static Portcullis.Core.Pools.AddressRange Range(string text) => Portcullis.Core.Pools.AddressRange.TryParse(text, out Portcullis.Core.Pools.AddressRange? r, out string? e) ? r! : throw new ArgumentException(e);

    private static bool IsTransaction(Packet p, Side from) =>
        p.From == from && IsakmpHeader.TryParse(p.Data, out IsakmpHeader h, out _) && h.ExchangeType == IsakmpExchangeType.Transaction;

    private static void AssertNoPasswordInLogs(EnginePair pair)
    {
        foreach (string text in new[] { pair.LeftLog.ToString(), pair.RightLog.ToString() })
        {
            Assert.DoesNotContain("long password", text);
            Assert.DoesNotContain("other password", text);
        }
    }

    [Fact]
    public void Xauth_then_Mode_Config_pull_gives_the_client_a_virtual_IP_and_DNS_and_Quick_Mode_uses_it()
    {
        var pair = new EnginePair(ClientConfig(), GatewayConfig());
        pair.Establish("net-alice");
        IsakmpSa client = Assert.Single(pair.Left.Ikev1.Sas), gateway = Assert.Single(pair.Right.Ikev1.Sas);
        var vip = IPAddress.Parse("198.18.100.1");
        Assert.Equal("alice", gateway.XauthUser);
        Assert.Equal("alice", client.XauthUser);
        Assert.Equal([vip], client.LocalVirtualIps);
        Assert.Equal([IPAddress.Parse("198.18.0.53")], client.ReceivedDns);
        Assert.Equal([vip], gateway.RemoteVirtualIps);
        Assert.Equal(vip, Assert.Single(pair.Events<LocalVirtualIpAssigned>(Side.Left)).Address);
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa, r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa;
        Assert.Equal([TrafficSelector.ForHost(vip)], l.LocalTs);
        Assert.Equal([TrafficSelector.ForHost(vip)], r.RemoteTs);
        Assert.Equal([RightNet], r.LocalTs);
        Assert.True(pair.RightLog.Has("XAUTH authentication of 'alice' from 192.0.2.1:500 successful"), pair.Dump());
        Assert.True(pair.RightLog.Has("assigning virtual IP 198.18.100.1 to 'alice'"));
        // The order on the wire: XAUTH REQUEST/REPLY, SET/ACK, then Mode Config REQUEST/REPLY, then Quick Mode.
        string[] order = pair.LeftLog.Lines.Select(x => x.Text).Where(t => t.Contains("TRANSACTION")).Select(t => t[(t.IndexOf("CP(", StringComparison.Ordinal) + 3)..].Split(' ')[0]).ToArray();
        Assert.Equal(["REQUEST", "REPLY", "SET", "ACK", "REQUEST", "REPLY"], order);
        Assert.Contains(pair.RightLog.Lines, x => x.Text.Contains("CP(REPLY INTERNAL_IP4_ADDRESS INTERNAL_IP4_DNS INTERNAL_IP4_NBNS)"));
        Assert.Equal(LeaseOnline("alice"), Assert.Single(pair.Right.Pools.Leases("rw")));
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
        AssertNoPasswordInLogs(pair);
        pair.AssertNothingPending(pair.Left);
        pair.AssertNothingPending(pair.Right);
    }

    private static Portcullis.Core.Pools.LeaseInfo LeaseOnline(string user, string address = "198.18.100.1") => new(IPAddress.Parse(address), user, true, 1);

    [Fact]
    public void Mode_Config_push_sends_the_address_in_a_SET_the_client_acknowledges()
    {
        var pair = new EnginePair(ClientConfig(null, Client(pull: false)), GatewayConfig(Gateway(pull: false)));
        pair.Establish("net-alice");
        IsakmpSa client = Assert.Single(pair.Left.Ikev1.Sas);
        Assert.Equal([IPAddress.Parse("198.18.100.1")], client.LocalVirtualIps);
        Assert.Contains(pair.RightLog.Lines, x => x.Text.Contains("sending TRANSACTION") && x.Text.Contains("CP(SET INTERNAL_IP4_ADDRESS INTERNAL_IP4_DNS"));
        Assert.Contains(pair.LeftLog.Lines, x => x.Text.Contains("sending TRANSACTION") && x.Text.Contains("CP(ACK INTERNAL_IP4_ADDRESS"));
        Assert.DoesNotContain(pair.LeftLog.Lines, x => x.Text.Contains("sending TRANSACTION") && x.Text.Contains("CP(REQUEST INTERNAL_IP4_ADDRESS"));
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void A_wrong_password_ends_the_SA_on_both_sides_and_takes_no_lease()
    {
        var pair = new EnginePair(ClientConfig("not alice's password"u8.ToArray()), GatewayConfig());
        pair.Establish("net-alice");
        string line = Assert.Single(pair.RightLog.Warnings, w => w.Contains("XAUTH authentication of 'alice'"));
        Assert.Contains("failed: wrong password", line);
        Assert.Contains(pair.LeftLog.Warnings, w => w.Contains("the gateway refused XAUTH of 'alice'"));
        Assert.Empty(pair.Left.Ikev1.Sas);
        Assert.Empty(pair.Right.Ikev1.Sas);
        Assert.Empty(pair.Right.Pools.Leases("rw"));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.True(pair.RightLog.Has("IKE_SA deleted: XAUTH of 'alice' failed"), pair.Dump());
        AssertNoPasswordInLogs(pair);
    }

    [Fact]
    public void An_unknown_user_fails_like_a_wrong_password()
    {
        var pair = new EnginePair(ClientConfig(null, Client(user: "mallory")), GatewayConfig());
        pair.Establish("net-mallory");
        Assert.Contains(pair.LeftLog.Warnings, w => w.Contains("no xauth- or eap- secret for XAUTH user 'mallory'"));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("XAUTH authentication of '") && w.Contains("failed"));
        Assert.Empty(pair.Right.Ikev1.Sas);
    }

    [Fact]
    public void Quick_Mode_before_XAUTH_is_refused_and_accepted_once_XAUTH_passed()
    {
        var pair = new EnginePair(ClientConfig(null, Client(vips: false, localTs: [LeftNet])), GatewayConfig(Gateway(remoteTs: [LeftNet])));
        bool hold = true;
        pair.Intercept = p => hold && IsTransaction(p, Side.Right) ? [] : [p];
        Assert.True(pair.Left.Initiate(pair.Now, "net-alice", out string? error), error);
        pair.Pump();
        IsakmpSa client = Assert.Single(pair.Left.Ikev1.Sas);
        Assert.Equal(IsakmpSaState.Established, client.State);
        // A client that does not wait for XAUTH.
        client.StartQuickMode(pair.Now, client.Connection.Children[0], null);
        pair.Pump();
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("Quick Mode before XAUTH completed"));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        hold = false;
        pair.Drive();
        Assert.Equal("alice", Assert.Single(pair.Right.Ikev1.Sas).XauthUser);
        // The early Quick Mode's retransmission now gets through, and so does the one the client queued for after XAUTH.
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Right).Count());
    }

    [Fact]
    public void The_lease_goes_back_to_the_pool_when_the_SA_dies_and_the_user_gets_it_again()
    {
        var pair = new EnginePair(ClientConfig(), GatewayConfig());
        pair.Establish("net-alice");
        Assert.True(Assert.Single(pair.Right.Pools.Leases("rw")).Online);
        pair.Left.Terminate(pair.Now, "home");
        pair.Drive();
        Assert.Empty(pair.Right.Ikev1.Sas);
        Portcullis.Core.Pools.LeaseInfo lease = Assert.Single(pair.Right.Pools.Leases("rw"));
        Assert.False(lease.Online);
        Assert.Equal("alice", lease.Identity);
        Assert.Equal(IPAddress.Parse("198.18.100.1"), Assert.Single(pair.Events<LocalVirtualIpReleased>(Side.Left)).Address);
        pair.Establish("net-alice");
        Assert.Equal([IPAddress.Parse("198.18.100.1")], pair.Left.Ikev1.Sas.Single(s => s.State == IsakmpSaState.Established).LocalVirtualIps);
    }

    [Fact]
    public void Two_users_get_two_addresses_and_one_users_INITIAL_CONTACT_leaves_the_other_alone()
    {
        var pair = new EnginePair(ClientConfig(null, Client("home-a", "alice"), Client("home-b", "bob")), GatewayConfig());
        pair.Establish("net-alice");
        pair.Establish("net-bob");
        IsakmpSa[] gw = pair.Right.Ikev1.Sas.OrderBy(s => s.Uid).ToArray();
        Assert.Equal(2, gw.Length);
        Assert.Equal(["alice", "bob"], gw.Select(s => s.XauthUser));
        Assert.Equal([IPAddress.Parse("198.18.100.1")], gw[0].RemoteVirtualIps);
        Assert.Equal([IPAddress.Parse("198.18.100.2")], gw[1].RemoteVirtualIps);
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Right).Count());
        Assert.All(gw, s => Assert.Equal(IsakmpSaState.Established, s.State));
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void A_repeated_Mode_Config_request_gets_the_cached_reply_and_no_second_lease()
    {
        var pair = new EnginePair(ClientConfig(), GatewayConfig());
        int fromGateway = 0;
        // The gateway's third Transaction message is the Mode Config REPLY: lose it once.
        pair.Intercept = p => IsTransaction(p, Side.Right) && ++fromGateway == 3 ? [] : [p];
        pair.Establish("net-alice");
        Packet[] replies = pair.Sent.Where(p => IsTransaction(p, Side.Right)).ToArray();
        Assert.Equal(4, replies.Length);
        Assert.Equal(replies[2].Data, replies[3].Data);
        Assert.Single(pair.RightLog.Lines, x => x.Text.Contains("assigning virtual IP"));
        Assert.Equal(LeaseOnline("alice"), Assert.Single(pair.Right.Pools.Leases("rw")));
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Equal([IPAddress.Parse("198.18.100.1")], Assert.Single(pair.Left.Ikev1.Sas).LocalVirtualIps);
    }

    [Fact]
    public void The_phase_1_method_names_who_does_XAUTH()
    {
        Assert.Equal(AuthenticationMethod.XauthInitPreShared, IsakmpSa.MethodFor(Client(), initiator: true));
        Assert.Equal(AuthenticationMethod.XauthInitPreShared, IsakmpSa.MethodFor(Gateway(), initiator: false));
        Assert.Equal(AuthenticationMethod.XauthRespPreShared, IsakmpSa.MethodFor(Gateway(), initiator: true));
        Assert.Equal(AuthenticationMethod.PreSharedKey, IsakmpSa.MethodFor(Ikev1Pair.Connection(left: true), initiator: true));
        // A client without XAUTH does not find the XAUTH gateway: the methods differ.
        var pair = new EnginePair(MakeConfig(Ikev1Pair.Connection(left: true)), GatewayConfig());
        pair.Establish();
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("no proposal chosen"));
        Assert.Empty(pair.Right.Ikev1.Sas);
    }

    [Fact]
    public void Phase_1_reauthentication_keeps_the_address_and_the_lease()
    {
        var pair = new EnginePair(ClientConfig(null, Client(rekey: TimeSpan.FromMinutes(10))), GatewayConfig());
        pair.Establish("net-alice", TimeSpan.FromMinutes(1));
        IsakmpSa first = Assert.Single(pair.Left.Ikev1.Sas);
        pair.Drive(TimeSpan.FromMinutes(12));
        IsakmpSa second = Assert.Single(pair.Left.Ikev1.Sas);
        Assert.NotSame(first, second);
        Assert.True(pair.LeftLog.Has("reauthenticating"), pair.Dump());
        var vip = IPAddress.Parse("198.18.100.1");
        Assert.Equal([vip], second.LocalVirtualIps);
        Assert.Contains(pair.LeftLog.Lines, x => x.Text.Contains("sending TRANSACTION") && x.Text.Contains("CP(REQUEST INTERNAL_IP4_ADDRESS"));
        // The new SA asked for its address and shared it with the old one until that one went: one online lease, never a second address.
        Assert.Equal(LeaseOnline("alice"), Assert.Single(pair.Right.Pools.Leases("rw")));
        Assert.Equal([vip], Assert.Single(pair.Right.Ikev1.Sas).RemoteVirtualIps);
        Assert.Equal(2, pair.Events<LocalVirtualIpAssigned>(Side.Left).Count());
        Assert.Single(pair.Events<LocalVirtualIpReleased>(Side.Left));
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Right).Count());
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void A_remote_xauth_id_admits_only_that_user()
    {
        var pair = new EnginePair(ClientConfig(), GatewayConfig(Gateway(onlyUser: "bob")));
        pair.Establish("net-alice");
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("XAUTH authentication of 'alice'") && w.Contains("user 'alice' is not the configured xauth_id 'bob'"));
        Assert.Empty(pair.Right.Ikev1.Sas);
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
    }
}
