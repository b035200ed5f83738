using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Ppp;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>PppSession server and client against each other with a fake clock.</summary>
public class PppSessionTests
{
    private static PppOptions Protocols(PppOptions o, params PppAuthenticationProtocol[] protocols) => o with { AuthenticationProtocols = protocols };

    [Theory]
    [InlineData(PppAuthenticationProtocol.MsChapV2)]
    [InlineData(PppAuthenticationProtocol.ChapMd5)]
    [InlineData(PppAuthenticationProtocol.Pap)]
    public void EachMethodAuthenticatesAndAssignsAddressAndDns(PppAuthenticationProtocol method)
    {
        using var pair = new PppPair(server: o => Protocols(o, method));
        pair.Establish();
        Assert.True(pair.BothUp, pair.ToString());

        PppAuthenticated serverAuth = pair.Single<PppAuthenticated>(PppSide.Server);
        Assert.Equal(new PppAuthenticated("alice", method), serverAuth);
        Assert.Equal(new PppAuthenticated("alice", method), pair.Single<PppAuthenticated>(PppSide.Client));
        Assert.Equal("alice", pair.Server.AuthenticatedUser);
        Assert.Equal(method, pair.Server.AuthenticationProtocol);
        Assert.Equal(["alice"], pair.Assignments);

        PppNetworkUp server = pair.Single<PppNetworkUp>(PppSide.Server);
        Assert.Equal(PppPair.ServerAddress, server.LocalAddress);
        Assert.Equal(PppPair.ClientAddress, server.PeerAddress);
        Assert.Equal([PppPair.Dns1, PppPair.Dns2], server.Dns);
        Assert.Empty(server.Nbns);
        Assert.Equal(1400, server.Mtu);

        PppNetworkUp client = pair.Single<PppNetworkUp>(PppSide.Client);
        Assert.Equal(PppPair.ClientAddress, client.LocalAddress);
        Assert.Equal(PppPair.ServerAddress, client.PeerAddress);
        Assert.Equal([PppPair.Dns1, PppPair.Dns2], client.Dns);

        Assert.True(pair.ServerLog.Has($"srv PPP user 'alice' authenticated with {method.Name()}"), pair.ToString());
        Assert.True(pair.ServerLog.Has("srv IPCP: peer 198.18.101.5, local 198.18.0.1, DNS 198.18.0.53 198.18.0.54"), pair.ToString());
        Assert.Empty(pair.ServerLog.Warnings);
        Assert.Empty(pair.ClientLog.Warnings);
        Assert.Empty(pair.ServerEvents.OfType<PppDown>());
        // No retransmissions were needed on a perfect wire: everything is settled at once.
        Assert.Equal(pair.Start, pair.Now);
    }

    [Theory]
    [InlineData(PppAuthenticationProtocol.MsChapV2, "srv authentication failed: MS-CHAPv2 response of 'alice' is wrong (bad password?) — E=691")]
    [InlineData(PppAuthenticationProtocol.ChapMd5, "srv authentication failed: CHAP-MD5 response of 'alice' is wrong (bad password?)")]
    [InlineData(PppAuthenticationProtocol.Pap, "srv authentication failed: PAP password of 'alice' is wrong")]
    public void WrongPasswordFailsAndClosesTheLink(PppAuthenticationProtocol method, string logLine)
    {
        using var pair = new PppPair(server: o => Protocols(o, method), client: o => PppPair.WithPassword(o, "wrong horse"));
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.BothFinished);

        Assert.True(pair.ServerLog.Has(logLine), pair.ToString());
        Assert.Contains(pair.ServerLog.Warnings, w => w.Contains(logLine, StringComparison.Ordinal));
        PppAuthenticationFailed failed = pair.Single<PppAuthenticationFailed>(PppSide.Server);
        Assert.Equal("alice", failed.User);
        Assert.Equal(method, failed.Protocol);
        Assert.Empty(pair.ServerEvents.OfType<PppAuthenticated>());
        Assert.Empty(pair.ServerEvents.OfType<PppNetworkUp>());
        Assert.Empty(pair.Assignments);
        Assert.StartsWith("authentication failed: ", pair.Single<PppDown>(PppSide.Server).Reason);

        PppAuthenticationFailed clientFailed = pair.Single<PppAuthenticationFailed>(PppSide.Client);
        if (method == PppAuthenticationProtocol.MsChapV2) Assert.Contains("E=691 (ERROR_AUTHENTICATION_FAILURE)", clientFailed.Reason);
        Assert.Single(pair.ClientEvents.OfType<PppDown>());
        Assert.True(pair.BothFinished, pair.ToString());
        Assert.Equal(PppPhase.Dead, pair.Server.Phase);
    }

    [Fact]
    public void MsChapV2FailureMessageIsE691WithoutRetry()
    {
        using var pair = new PppPair(client: o => PppPair.WithPassword(o, "wrong horse"));
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.BothFinished);
        byte[] failure = Assert.Single(pair.Wire, f => f.From == PppSide.Server && f.Data[2] == 0xC2 && f.Data[4] == (byte)ChapCode.Failure).Data;
        Assert.True(ChapPacket.TryParse(failure.AsSpan(4), out ChapPacket? packet, out _));
        string message = System.Text.Encoding.ASCII.GetString(packet!.Message);
        Assert.Matches("^E=691 R=0 C=[0-9A-F]{32} V=3 M=Authentication failed$", message);
    }

    [Fact]
    public void UnknownUserGetsTheSameAnswerAsAWrongPassword()
    {
        using var pair = new PppPair(client: o => o with { UserName = "mallory" });
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.BothFinished);
        Assert.True(pair.ServerLog.Has("unknown PPP user 'mallory' (MS-CHAPv2) — E=691"), pair.ToString());
        Assert.Contains("E=691", pair.Single<PppAuthenticationFailed>(PppSide.Client).Reason);
        Assert.Equal(["mallory"], pair.Lookups);
    }

    [Fact]
    public void DomainPrefixedNameIsLookedUpWholeAndHashedWithoutTheDomain()
    {
        using var pair = new PppPair(client: o => PppPair.WithPassword(o with { UserName = @"EXAMPLE\carol" }, "carol's pw"));
        pair.Establish();
        Assert.True(pair.BothUp, pair.ToString());
        Assert.Equal(@"EXAMPLE\carol", pair.Single<PppAuthenticated>(PppSide.Server).User);
    }

    [Fact]
    public void ClientNaksAuthProtocolAndServerFallsBackToTheSuggestion()
    {
        using var pair = new PppPair(
            server: o => Protocols(o, PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocol.ChapMd5, PppAuthenticationProtocol.Pap),
            client: o => Protocols(o, PppAuthenticationProtocol.Pap));
        pair.Establish();
        Assert.True(pair.BothUp, pair.ToString());
        Assert.Equal(PppAuthenticationProtocol.Pap, pair.Single<PppAuthenticated>(PppSide.Server).Protocol);
        Assert.True(pair.ServerLog.Has("LCP: peer refused MS-CHAPv2 and suggests PAP; asking for PAP"), pair.ToString());
    }

    [Fact]
    public void FallbackTakesTheNextConfiguredWhenTheSuggestionIsNotConfigured()
    {
        // The client wants CHAP-MD5 only: suggested first, the server skips to it even though PAP is listed before.
        using var pair = new PppPair(
            server: o => Protocols(o, PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocol.Pap, PppAuthenticationProtocol.ChapMd5),
            client: o => Protocols(o, PppAuthenticationProtocol.ChapMd5));
        pair.Establish();
        Assert.Equal(PppAuthenticationProtocol.ChapMd5, pair.Single<PppAuthenticated>(PppSide.Server).Protocol);

        // A server with MS-CHAPv2 and PAP, a client wanting only EAP-like nonsense: suggestion unknown, next configured.
        using var other = new PppPair(
            server: o => Protocols(o, PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocol.Pap),
            client: o => Protocols(o, PppAuthenticationProtocol.ChapMd5, PppAuthenticationProtocol.Pap));
        other.Establish();
        Assert.Equal(PppAuthenticationProtocol.Pap, other.Single<PppAuthenticated>(PppSide.Server).Protocol);
        Assert.True(other.ServerLog.Has("LCP: peer refused MS-CHAPv2 and suggests CHAP-MD5; asking for PAP"), other.ToString());
    }

    [Fact]
    public void NoCommonAuthProtocolClosesTheLink()
    {
        using var pair = new PppPair(client: o => Protocols(o, PppAuthenticationProtocol.Pap));
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.Server.IsFinished);
        Assert.True(pair.Server.IsFinished, pair.ToString());
        Assert.Contains("peer refuses every configured authentication protocol (MS-CHAPv2); it wants PAP", pair.Single<PppDown>(PppSide.Server).Reason);
        Assert.Empty(pair.ServerEvents.OfType<PppNetworkUp>());
    }

    [Fact]
    public void ClientWithoutCredentialsRejectsAuthenticationAndServerGivesUp()
    {
        using var pair = new PppPair(client: o => o with { UserName = null });
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.Server.IsFinished);
        Assert.Contains("peer will not authenticate", pair.Single<PppDown>(PppSide.Server).Reason);
    }

    [Fact]
    public void LargerMruIsNakedDownToTheCap()
    {
        using var pair = new PppPair(client: o => o with { Mru = 1600 });
        pair.Establish();
        Assert.True(pair.BothUp, pair.ToString());
        // The server's Nak carries MRU 1400: 01 04 05 78.
        WireFrame nak = Assert.Single(pair.Wire, f => f.From == PppSide.Server && IsLcp(f, PppCode.ConfigureNak));
        Assert.Equal(Convert.FromHexString("01040578"), nak.Data[8..]);
        Assert.Equal(1400, pair.Server.PeerMru);
        Assert.Equal(1400, pair.Client.PeerMru);
        Assert.Equal(1400, pair.Single<PppNetworkUp>(PppSide.Server).Mtu);
    }

    [Fact]
    public void PeerWithoutMruStillGetsTheCappedMtu()
    {
        using var pair = new PppPair(client: o => o with { Mru = 1500 });
        pair.Establish();
        Assert.Equal(1500, pair.Server.PeerMru);
        Assert.Equal(1400, pair.Server.Mtu);
        Assert.Equal(1400, pair.Single<PppNetworkUp>(PppSide.Server).Mtu);
        Assert.True(pair.ServerLog.Has("srv LCP up: our MRU 1400, peer's MRU 1500, authentication MS-CHAPv2"), pair.ToString());
    }

    [Fact]
    public void DefaultMruIsNeitherAskedNorNaked()
    {
        using var pair = new PppPair(server: o => o with { Mru = 1500 }, client: o => o with { Mru = 1500 });
        pair.Establish();
        Assert.Equal(1500, pair.Server.PeerMru);
        Assert.DoesNotContain(pair.Wire, f => IsLcp(f, PppCode.ConfigureNak));
    }

    [Fact]
    public void NbnsIsOfferedWhenConfiguredAndAskedFor()
    {
        using var pair = new PppPair(server: o => o with { Nbns = [IPAddress.Parse("198.18.0.137")] });
        pair.Establish();
        // Our client does not ask for NBNS; the server hands out none.
        Assert.Empty(pair.Single<PppNetworkUp>(PppSide.Server).Nbns);
    }

    [Fact]
    public void NoAddressForTheUserClosesTheLink()
    {
        using var pair = new PppPair(server: o => o with { AssignPeerAddress = _ => null });
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.BothFinished);
        Assert.True(pair.ServerLog.Has("no address for PPP user 'alice' (pool exhausted or none configured); closing the link"), pair.ToString());
        PppDown down = pair.Single<PppDown>(PppSide.Server);
        Assert.Equal("no address for PPP user 'alice'", down.Reason);
        Assert.Null(down.PeerAddress);
        Assert.Empty(pair.ClientEvents.OfType<PppNetworkUp>());
    }

    [Fact]
    public void EchoKeepsTheLinkUpAndSilenceTakesItDown()
    {
        using var pair = new PppPair(server: o => o with { EchoInterval = TimeSpan.FromSeconds(10), EchoFailure = 3 },
            client: o => o with { EchoInterval = TimeSpan.Zero });
        pair.Establish();
        pair.Drive(TimeSpan.FromSeconds(65));
        Assert.True(pair.BothUp, pair.ToString());
        Assert.Equal(6, pair.Wire.Count(f => f.From == PppSide.Server && IsLcp(f, PppCode.EchoRequest)));
        Assert.Equal(6, pair.Wire.Count(f => f.From == PppSide.Client && IsLcp(f, PppCode.EchoReply)));

        // The client goes silent: three unanswered requests, then the link is down at the next interval.
        pair.Copies = f => f.From == PppSide.Client ? 0 : 1;
        DateTimeOffset silentSince = pair.Now;
        pair.Drive(TimeSpan.FromSeconds(60), () => pair.ServerEvents.OfType<PppDown>().Any());
        PppDown down = pair.Single<PppDown>(PppSide.Server);
        Assert.Equal("LCP echo: peer silent for 3 intervals", down.Reason);
        Assert.Equal(PppPair.ClientAddress, down.PeerAddress);
        Assert.Equal("alice", down.User);
        Assert.Contains(pair.ServerLog.Warnings, w => w == "srv LCP echo: peer silent for 3 intervals, link down");
        Assert.True(pair.Now - silentSince <= TimeSpan.FromSeconds(40), $"{pair.Now - silentSince}");
        Assert.False(pair.Server.IsNetworkUp);
    }

    [Fact]
    public void LostControlFramesAreRetransmitted()
    {
        for (int seed = 1; seed <= 25; seed++)
        {
            var random = new Random(seed);
            using var pair = new PppPair();
            pair.Copies = _ => random.NextDouble() < 0.2 ? 0 : 1;
            pair.Establish(TimeSpan.FromSeconds(90));
            Assert.True(pair.BothUp, $"seed {seed}\n{pair}");
            Assert.Single(pair.ServerEvents.OfType<PppAuthenticated>());
            Assert.Single(pair.ServerEvents.OfType<PppNetworkUp>());
            Assert.Empty(pair.ServerEvents.OfType<PppDown>());
        }
    }

    [Theory]
    [InlineData(PppAuthenticationProtocol.MsChapV2)]
    [InlineData(PppAuthenticationProtocol.ChapMd5)]
    [InlineData(PppAuthenticationProtocol.Pap)]
    public void LosingTheSuccessIsRecoveredByARepeatedResponse(PppAuthenticationProtocol method)
    {
        using var pair = new PppPair(server: o => Protocols(o, method));
        bool dropped = false;
        pair.Copies = f =>
        {
            bool success = f.From == PppSide.Server && f.Data[2] is 0xC2 or 0xC0 && f.Data[3] == 0x23 && f.Data[4] is 2 or 3
                && !(f.Data[2] == 0xC2 && f.Data[4] == 2);
            if (success && !dropped) { dropped = true; return 0; }
            return 1;
        };
        pair.Establish(TimeSpan.FromSeconds(60));
        Assert.True(dropped);
        Assert.True(pair.BothUp, pair.ToString());
    }

    [Fact]
    public void DuplicatedControlFramesChangeNothing()
    {
        using var pair = new PppPair();
        pair.Copies = _ => 2;
        pair.Establish();
        Assert.True(pair.BothUp, pair.ToString());
        Assert.Equal(1, pair.ServerLog.Lines.Count(l => l.Text.Contains("LCP up", StringComparison.Ordinal)));
        Assert.Equal(1, pair.ClientLog.Lines.Count(l => l.Text.Contains("LCP up", StringComparison.Ordinal)));
        Assert.Single(pair.ServerEvents.OfType<PppAuthenticated>());
        Assert.Single(pair.ServerEvents.OfType<PppNetworkUp>());
        Assert.Single(pair.ClientEvents.OfType<PppNetworkUp>());
        Assert.Empty(pair.ServerLog.Warnings);
        Assert.Empty(pair.ClientLog.Warnings);
    }

    [Fact]
    public void IpPacketsFlowBothWaysWithoutCopies()
    {
        using var pair = new PppPair();
        pair.Establish();
        byte[] packet = Convert.FromHexString("4500001c00010000400189b5c6126505c61200010800f7fe00010000");
        pair.SendIp(PppSide.Client, packet);
        pair.SendIp(PppSide.Server, packet);
        Assert.Equal(packet, Assert.Single(pair.ServerReceivedIp));
        Assert.Equal(packet, Assert.Single(pair.ClientReceivedIp));

        // The returned span is the frame's own memory.
        byte[] frame = new byte[PppSession.IpFrameOverhead + packet.Length];
        PppSession.WrapIpPacket(packet, frame);
        Assert.Equal(Convert.FromHexString("ff030021"), frame[..4]);
        Assert.True(pair.Server.TryGetIpPacket(frame, out ReadOnlySpan<byte> ip));
        Assert.True(Unsafe.AreSame(ref Unsafe.AsRef(in ip[0]), ref frame[4]));

        // Compressed forms are taken too: no FF 03, and a one-byte protocol.
        Assert.True(pair.Server.TryGetIpPacket(frame.AsSpan(2), out ip));
        Assert.Equal(packet, ip.ToArray());
        byte[] pfc = [0xFF, 0x03, 0x21, .. packet];
        Assert.True(pair.Server.TryGetIpPacket(pfc, out ip));
        Assert.Equal(packet, ip.ToArray());
        byte[] both = [0x21, .. packet];
        Assert.True(pair.Server.TryGetIpPacket(both, out ip));
        Assert.Equal(packet, ip.ToArray());

        // Not IP, or nothing after the protocol: false, for HandleFrame.
        Assert.False(pair.Server.TryGetIpPacket(Convert.FromHexString("ff03c02109010008"), out _));
        Assert.False(pair.Server.TryGetIpPacket(Convert.FromHexString("ff030021"), out _));
        Assert.False(pair.Server.TryGetIpPacket([], out _));
    }

    [Fact]
    public void DataPathAllocatesNothing()
    {
        using var pair = new PppPair();
        pair.Establish();
        byte[] packet = new byte[1400];
        byte[] frame = new byte[PppSession.IpFrameOverhead + packet.Length];
        PppSession server = pair.Server;
        int total = 0;
        for (int i = 0; i < 100; i++)
        {
            int n = PppSession.WrapIpPacket(packet, frame);
            if (server.TryGetIpPacket(frame.AsSpan(0, n), out ReadOnlySpan<byte> ip)) total += ip.Length;
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            int n = PppSession.WrapIpPacket(packet, frame);
            if (server.TryGetIpPacket(frame.AsSpan(0, n), out ReadOnlySpan<byte> ip)) total += ip.Length;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(10_100 * 1400, total);
        Assert.Throws<ArgumentException>(() => PppSession.WrapIpPacket(packet, new byte[100]));
    }

    [Fact]
    public void IpBeforeIpcpIsOpenGoesToHandleFrameAndIsDropped()
    {
        using var pair = new PppPair();
        pair.StartBoth();
        byte[] frame = Convert.FromHexString("ff0300214500001c");
        Assert.False(pair.Server.TryGetIpPacket(frame, out _));
        pair.Server.HandleFrame(pair.Now, frame);
        Assert.True(pair.ServerLog.Has("IPv4 packet discarded: IPCP is not open"));
    }

    [Fact]
    public void UnknownProtocolsGetProtocolRejectAndIpv6cpIsRefused()
    {
        using var pair = new PppPair();
        pair.Establish();
        int before = pair.Wire.Count;
        // An IPv6CP Configure-Request with an Interface-Identifier, as Windows sends it.
        byte[] ipv6cp = Convert.FromHexString("ff0380570101000e010a1122334455667788");
        pair.Deliver(pair.Server, ipv6cp, pair.ServerReceivedIp);
        pair.Drive(TimeSpan.FromSeconds(1));
        WireFrame reject = Assert.Single(pair.Wire.Skip(before), f => f.From == PppSide.Server);
        Assert.True(IsLcp(reject, PppCode.ProtocolReject));
        Assert.Equal(Convert.FromHexString("80570101000e010a1122334455667788"), reject.Data[8..]);
        Assert.True(pair.ServerLog.Has("srv peer speaks IPv6CP, which Portcullis does not run: Protocol-Reject"));

        // Our own client takes the reject of a protocol it never sent calmly.
        pair.Deliver(pair.Client, reject.Data, pair.ClientReceivedIp);
        Assert.True(pair.BothUp);
    }

    [Fact]
    public void ProtocolRejectOfIpcpEndsTheLink()
    {
        using var pair = new PppPair();
        pair.Establish();
        // The client says it does not speak IPCP after all.
        byte[] reject = PppFrame.Build((ushort)PppProtocol.Lcp, PppControlPacket.Build(PppCode.ProtocolReject, 99, Convert.FromHexString("8021010100040000")));
        pair.Deliver(pair.Server, reject, pair.ServerReceivedIp);
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.Server.IsFinished);
        Assert.Contains("no network protocols running (peer rejected IPCP (Protocol-Reject))", pair.Single<PppDown>(PppSide.Server).Reason);
    }

    [Fact]
    public void UnknownLcpCodeGetsCodeReject()
    {
        using var pair = new PppPair();
        pair.Establish();
        int before = pair.Wire.Count;
        pair.Deliver(pair.Server, Convert.FromHexString("ff03c021c8070006abcd"), pair.ServerReceivedIp);
        pair.Drive(TimeSpan.FromSeconds(1));
        WireFrame reject = Assert.Single(pair.Wire.Skip(before), f => f.From == PppSide.Server);
        Assert.True(IsLcp(reject, PppCode.CodeReject));
        Assert.Equal(Convert.FromHexString("c8070006abcd"), reject.Data[8..]);
        Assert.True(pair.BothUp);
    }

    [Fact]
    public void WindowsIdentificationIsAcceptedSilently()
    {
        using var pair = new PppPair();
        pair.Establish();
        int before = pair.Wire.Count;
        // Identification (RFC 1570): Magic-Number and text, as Windows sends "MSRASV5.20" after LCP is up.
        byte[] identification = PppFrame.Build((ushort)PppProtocol.Lcp,
            PppControlPacket.Build(PppCode.Identification, 2, [0x12, 0x34, 0x56, 0x78, .. "MSRASV5.20"u8]));
        pair.Deliver(pair.Server, identification, pair.ServerReceivedIp);
        pair.Drive(TimeSpan.FromSeconds(1));
        Assert.Equal(before, pair.Wire.Count);
        Assert.Empty(pair.ServerLog.Warnings);
    }

    [Fact]
    public void CloseTerminatesBothSides()
    {
        using var pair = new PppPair();
        pair.Establish();
        pair.Server.Close(pair.Now, "administrator said so");
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.BothFinished);
        Assert.True(pair.BothFinished, pair.ToString());
        Assert.Equal("administrator said so", pair.Single<PppDown>(PppSide.Server).Reason);
        Assert.Equal("peer sent LCP Terminate-Request", pair.Single<PppDown>(PppSide.Client).Reason);
        Assert.Contains(pair.Wire, f => f.From == PppSide.Client && IsLcp(f, PppCode.TerminateAck));
        Assert.Null(pair.Server.NextTimeout);
        Assert.Equal(PppState.Closed, pair.Server.LcpState);
        Assert.True(pair.ServerLog.Has("srv PPP link down: administrator said so"));
    }

    [Fact]
    public void CloseWithASilentPeerFinishesAfterMaxTerminate()
    {
        using var pair = new PppPair();
        pair.Establish();
        pair.Copies = f => f.From == PppSide.Server ? 0 : 1;
        DateTimeOffset closedAt = pair.Now;
        pair.Server.Close(pair.Now, "bye");
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.Server.IsFinished);
        Assert.True(pair.Server.IsFinished);
        Assert.Equal(TimeSpan.FromSeconds(6), pair.Now - closedAt);
        Assert.Equal(2, pair.Wire.Count(f => f.From == PppSide.Server && IsLcp(f, PppCode.TerminateRequest)));
    }

    [Fact]
    public void ClosingDuringAuthenticationStopsTheChallenges()
    {
        using var pair = new PppPair();
        pair.Copies = f => f.From == PppSide.Client && f.Data[2] == 0xC2 ? 0 : 1;
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(4));
        Assert.Equal(PppPhase.Authenticate, pair.Server.Phase);
        int before = pair.Wire.Count;
        // The client is gone too: the server's Terminate-Requests run their course, 6 s.
        pair.Copies = f => f.From == PppSide.Client ? 0 : 1;
        pair.Server.Close(pair.Now, "shutting down");
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.Server.IsFinished);
        Assert.True(pair.Server.IsFinished);
        Assert.DoesNotContain(pair.Wire.Skip(before), f => f.From == PppSide.Server && f.Data[2] == 0xC2);
        Assert.Null(pair.Server.NextTimeout);
    }

    [Fact]
    public void LowerDownReportsAtOnce()
    {
        using var pair = new PppPair();
        pair.Establish();
        int before = pair.Wire.Count;
        pair.Server.LowerDown(pair.Now, "L2TP session closed");
        pair.Collect();
        Assert.Equal("L2TP session closed", pair.Single<PppDown>(PppSide.Server).Reason);
        Assert.True(pair.Server.IsFinished);
        Assert.False(pair.Server.TryDequeueFrame(out _));
        Assert.Equal(before, pair.Wire.Count);
    }

    [Fact]
    public void SilentPeerMakesLcpGiveUpAfterMaxConfigure()
    {
        var log = new Ikev2.CapturingLogger("s");
        using var server = new PppSession(new PppOptions { FindPassword = _ => null, Name = "srv" }, log);
        DateTimeOffset now = DateTimeOffset.UnixEpoch;
        server.Start(now);
        int requests = 0;
        while (server.NextTimeout is DateTimeOffset next)
        {
            while (server.TryDequeueFrame(out _)) requests++;
            now = next;
            server.HandleTimeout(now);
        }
        while (server.TryDequeueFrame(out _)) requests++;
        Assert.Equal(10, requests);
        Assert.Equal(TimeSpan.FromSeconds(30), now - DateTimeOffset.UnixEpoch);
        Assert.True(server.TryDequeueEvent(out PppEvent e));
        Assert.Equal("LCP: peer did not answer 10 Configure-Requests", Assert.IsType<PppDown>(e).Reason);
        Assert.True(server.IsFinished);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Text == "srv LCP: peer did not answer 10 Configure-Requests");
    }

    [Fact]
    public void AuthenticationTimesOutWhenTheClientNeverSendsPap()
    {
        using var pair = new PppPair(server: o => Protocols(o, PppAuthenticationProtocol.Pap));
        // Drop the client's PAP requests: the server waits AuthenticationTimeout, then closes.
        pair.Copies = f => f.From == PppSide.Client && f.Data[2] == 0xC0 && f.Data[3] == 0x23 ? 0 : 1;
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(60), () => pair.ServerEvents.OfType<PppDown>().Any());
        Assert.Contains("no PAP Authenticate-Request within 30 s", pair.Single<PppAuthenticationFailed>(PppSide.Server).Reason);
    }

    [Fact]
    public void MalformedFramesAreWarningsNotExceptions()
    {
        using var pair = new PppPair();
        pair.Establish();
        string[] bad = ["", "ff", "ff04c021", "00", "0020", "ff03c021", "ff03c02101", "ff03c0210101ffff", "ff03c02101010003",
            "ff03c02101010008010201", "ff03c223020100050a", "ff03c02301010005ff", "ff038021010100060400"];
        foreach (string hex in bad) pair.Server.HandleFrame(pair.Now, Convert.FromHexString(hex));
        Assert.True(pair.ServerLog.Warnings.Count() >= 8, pair.ServerLog.ToString());
        Assert.Contains(pair.ServerLog.Warnings, w => w.Contains("dropped PPP packet: Control: 0x04, must be 0x03", StringComparison.Ordinal));
        Assert.Contains(pair.ServerLog.Warnings, w => w.Contains("dropped LCP packet: Length: 65535, but only 4 bytes arrived", StringComparison.Ordinal));
        Assert.True(pair.BothUp);
    }

    [Fact]
    public void ServerRequiresUsersAndAProtocol()
    {
        var log = new Ikev2.CapturingLogger("x");
        Assert.Throws<ArgumentException>(() => new PppSession(new PppOptions(), log));
        Assert.Throws<ArgumentException>(() => new PppSession(new PppOptions { FindPassword = _ => null, AuthenticationProtocols = [] }, log));
        Assert.Throws<ArgumentException>(() => new PppSession(new PppOptions { FindPassword = _ => null, Mru = 20 }, log));
        _ = new PppSession(new PppOptions { Role = PppRole.Client }, log);
    }

    internal static bool IsLcp(WireFrame f, PppCode code) => f.Data.Length > 4 && f.Data[2] == 0xC0 && f.Data[3] == 0x21 && f.Data[4] == (byte)code;
}
