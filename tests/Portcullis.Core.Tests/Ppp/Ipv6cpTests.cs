using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ppp;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>IPv6CP (RFC 5072) on the shared automaton: the Interface-Identifier negotiation, packet by packet.</summary>
public class Ipv6cpTests
{
    private static readonly IPAddress Prefix = IPAddress.Parse("2001:db8:300::");

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private sealed class Recorder : IPppLayerEvents
    {
        public List<string> Calls { get; } = [];
        public void LayerUp(PppAutomaton layer, DateTimeOffset now) => Calls.Add("up");
        public void LayerDown(PppAutomaton layer, DateTimeOffset now) => Calls.Add("down");
        public void LayerFinished(PppAutomaton layer, DateTimeOffset now) => Calls.Add("finished");
        public void ProtocolRejected(DateTimeOffset now, ushort protocol) => Calls.Add("rejected");
    }

    // ScriptedRandom(1) draws 02..09 for our identifier, then 0a..11, 12..19 for suggestions.
    private static Ipv6cp Layer(out List<byte[]> sent, out Recorder events, Func<ulong, bool>? taken = null)
    {
        var packets = new List<byte[]>();
        sent = packets;
        events = new Recorder();
        var options = new PppOptions { FindPassword = _ => null, Ipv6Prefix = Prefix, Ipv6IdentifierTaken = taken, Random = new ScriptedRandom(1).Fill };
        var context = new PppContext(options, new CapturingLogger("s"), (protocol, packet) =>
        {
            Assert.Equal((ushort)PppProtocol.Ipv6cp, protocol);
            packets.Add(packet);
        });
        var layer = new Ipv6cp(context, events);
        layer.Open(DateTimeOffset.UnixEpoch);
        layer.Up(DateTimeOffset.UnixEpoch);
        Assert.Equal(Hex("01 01 00 0e 01 0a 02 03 04 05 06 07 08 09"), packets[0]);
        return layer;
    }

    [Fact]
    public void InterfaceIdentifierOptionRoundTripsAndRefusesOtherLengths()
    {
        PppOption option = Ipv6cpOptions.InterfaceIdentifier(0x1122334455667788);
        Assert.Equal(Hex("01 0a 11 22 33 44 55 66 77 88"), PppOption.WriteList([option]));
        Assert.True(Ipv6cpOptions.TryReadInterfaceIdentifier(option, out ulong id, out _));
        Assert.Equal(0x1122334455667788UL, id);

        Assert.True(PppOption.TryParseList(Hex("01 08 11 22 33 44 55 66"), out List<PppOption> shortOne, out _));
        Assert.False(Ipv6cpOptions.TryReadInterfaceIdentifier(shortOne[0], out _, out ParseError error));
        Assert.Equal(new ParseError("Interface-Identifier", "Length 8, must be 10"), error);
        Assert.Equal("1122:3344:5566:7788", Ipv6cpOptions.Format(0x1122334455667788));
        Assert.Equal(IPAddress.Parse("2001:db8:300::1122:3344:5566:7788"), Ipv6cpOptions.Address(IPAddress.Parse("2001:db8:300::99"), 0x1122334455667788));
        Assert.Equal(IPAddress.Parse("fe80::1122:3344:5566:7788"), Ipv6cpOptions.LinkLocal(0x1122334455667788));
    }

    [Fact]
    public void ZeroIdentifierIsNakedWithAFreshOneThenAcked()
    {
        Ipv6cp layer = Layer(out List<byte[]> sent, out _);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 05 00 0e 01 0a 00 00 00 00 00 00 00 00"));
        Assert.Equal(Hex("03 05 00 0e 01 0a 0a 0b 0c 0d 0e 0f 10 11"), sent[^1]);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 06 00 0e 01 0a 0a 0b 0c 0d 0e 0f 10 11"));
        Assert.Equal(Hex("02 06 00 0e 01 0a 0a 0b 0c 0d 0e 0f 10 11"), sent[^1]);
        Assert.Equal(PppState.AckSent, layer.State);
    }

    [Fact]
    public void IdentifierEqualToOursIsNakedWithAFreshOne()
    {
        Ipv6cp layer = Layer(out List<byte[]> sent, out _);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 05 00 0e 01 0a 02 03 04 05 06 07 08 09"));
        Assert.Equal(Hex("03 05 00 0e 01 0a 0a 0b 0c 0d 0e 0f 10 11"), sent[^1]);
        Assert.Equal(0UL, layer.PeerIdentifier);
    }

    [Fact]
    public void IdentifierOfAnotherLinkIsNakedAndTheSuggestionAvoidsTakenOnes()
    {
        // 0a..11 is taken as well, so the suggestion is the draw after it.
        Ipv6cp layer = Layer(out List<byte[]> sent, out _, taken: id => id is 0x1122334455667788 or 0x0a0b0c0d0e0f1011);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 05 00 0e 01 0a 11 22 33 44 55 66 77 88"));
        Assert.Equal(Hex("03 05 00 0e 01 0a 12 13 14 15 16 17 18 19"), sent[^1]);
    }

    [Fact]
    public void MissingIdentifierIsAskedForInTheNak()
    {
        Ipv6cp layer = Layer(out List<byte[]> sent, out _);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 05 00 04"));
        Assert.Equal(Hex("03 05 00 0e 01 0a 0a 0b 0c 0d 0e 0f 10 11"), sent[^1]);
    }

    [Fact]
    public void UnknownOptionsAndBadLengthsAreRejected()
    {
        Ipv6cp layer = Layer(out List<byte[]> sent, out _);
        // IPv6-Compression-Protocol (IPHC, 0x0061) beside a good identifier: only it is rejected.
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 05 00 12 01 0a 11 22 33 44 55 66 77 88 02 04 00 61"));
        Assert.Equal(Hex("04 05 00 08 02 04 00 61"), sent[^1]);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 06 00 0a 07 06 01 02 03 04"));
        Assert.Equal(Hex("04 06 00 0a 07 06 01 02 03 04"), sent[^1]);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 07 00 0c 01 08 11 22 33 44 55 66"));
        Assert.Equal(Hex("04 07 00 0c 01 08 11 22 33 44 55 66"), sent[^1]);
    }

    [Fact]
    public void BothAcksOpenTheLayerWithBothIdentifiers()
    {
        Ipv6cp layer = Layer(out List<byte[]> sent, out Recorder events);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("02 01 00 0e 01 0a 02 03 04 05 06 07 08 09"));
        Assert.Equal(PppState.AckReceived, layer.State);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("01 09 00 0e 01 0a 11 22 33 44 55 66 77 88"));
        Assert.Equal(Hex("02 09 00 0e 01 0a 11 22 33 44 55 66 77 88"), sent[^1]);
        Assert.Equal(PppState.Opened, layer.State);
        Assert.Equal(["up"], events.Calls);
        Assert.Equal(0x0203040506070809UL, layer.LocalIdentifier);
        Assert.Equal(0x1122334455667788UL, layer.PeerIdentifier);
    }

    [Fact]
    public void NakOfOursIsTakenUnlessItIsZeroOrThePeersOwn()
    {
        Ipv6cp layer = Layer(out List<byte[]> sent, out _);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("03 01 00 0e 01 0a 11 22 33 44 55 66 77 88"));
        Assert.Equal(Hex("01 02 00 0e 01 0a 11 22 33 44 55 66 77 88"), sent[^1]);
        // A zero suggestion cannot be used: we draw our own.
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("03 02 00 0e 01 0a 00 00 00 00 00 00 00 00"));
        Assert.Equal(Hex("01 03 00 0e 01 0a 0a 0b 0c 0d 0e 0f 10 11"), sent[^1]);
    }

    [Fact]
    public void RejectOfTheIdentifierLeavesItOutButKeepsIt()
    {
        Ipv6cp layer = Layer(out List<byte[]> sent, out _);
        layer.Receive(DateTimeOffset.UnixEpoch, Hex("04 01 00 0e 01 0a 02 03 04 05 06 07 08 09"));
        Assert.Equal(Hex("01 02 00 04"), sent[^1]);
        Assert.Equal(0x0203040506070809UL, layer.LocalIdentifier);
    }
}
