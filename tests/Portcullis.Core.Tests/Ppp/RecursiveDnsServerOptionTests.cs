using System.Net;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ppp;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>The Recursive DNS Server option of RFC 8106 §5.1 on its own: exact bytes, a hand-made option, bad ones.</summary>
public class RecursiveDnsServerOptionTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Fact]
    public void WritesRfc8106sLayout()
    {
        var option = new byte[RecursiveDnsServerOption.LengthFor(2)];
        Assert.Equal(40, option.Length);
        Assert.Equal(40, RecursiveDnsServerOption.Write(1800, [IPAddress.Parse("2001:db8:53::1"), IPAddress.Parse("2001:db8:53::2")], option));
        Assert.Equal(Hex(
            "19 05 0000 00000708" +                  // type 25, 5 × 8 bytes, reserved, 1800 s
            "20010db8005300000000000000000001" +     // first server
            "20010db8005300000000000000000002"),     // second server
            option);
        Assert.Equal(0, RecursiveDnsServerOption.LengthFor(0));
        // The lifetime the server sends: at least MaxRtrAdvInterval (600 s), three times it by default (§5.1).
        Assert.Equal(RecursiveDnsServerOption.DefaultLifetime, 3 * (uint)RouterAdvertisement.Interval.TotalSeconds);
    }

    [Fact]
    public void ParsesAHandMadeOptionFromTheRfcLayout()
    {
        // RFC 8106 §5.1 laid out by hand: Type 25, Length 3 (one address), Reserved, Lifetime 0xFFFFFFFF (infinity),
        // one address; then the next option's first bytes, which the parser leaves alone.
        byte[] bytes = Hex("19 03 0000 ffffffff 20010db800000000000000000000abcd 05 01 00 00");
        Assert.True(RecursiveDnsServerOption.TryParse(bytes, out RecursiveDnsServerOption option, out _));
        Assert.Equal(uint.MaxValue, option.Lifetime);
        Assert.Equal([IPAddress.Parse("2001:db8::abcd")], option.Servers);

        // What we write parses back.
        var written = new byte[RecursiveDnsServerOption.LengthFor(3)];
        IPAddress[] three = [IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::2"), IPAddress.Parse("2001:db8::3")];
        RecursiveDnsServerOption.Write(600, three, written);
        Assert.True(RecursiveDnsServerOption.TryParse(written, out option, out _));
        Assert.Equal(600u, option.Lifetime);
        Assert.Equal(three, option.Servers);
    }

    [Theory]
    [InlineData("19 02 0000 00000708 0000000000000000", "Length")]                              // under 3
    [InlineData("19 04 0000 00000708 20010db8000000000000000000000001 0000000000000000", "Length")] // even
    [InlineData("19 05 0000 00000708 20010db8000000000000000000000001", "Length")]              // 40 claimed, 24 there
    [InlineData("18 03 0000 00000708 20010db8000000000000000000000001", "Type")]
    [InlineData("19 03 0000 0000", "RDNSS")]                                                      // not even the fixed part
    public void ABadOptionNamesItsField(string hex, string field)
    {
        Assert.False(RecursiveDnsServerOption.TryParse(Hex(hex), out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void TruncatedOptionsNeverThrowNorReadPastTheBuffer()
    {
        var option = new byte[RecursiveDnsServerOption.LengthFor(2)];
        RecursiveDnsServerOption.Write(1800, [IPAddress.Parse("2001:db8:53::1"), IPAddress.Parse("2001:db8:53::2")], option);
        for (int n = 0; n < option.Length; n++) Assert.False(RecursiveDnsServerOption.TryParse(option.AsSpan(0, n), out _, out _));
        Assert.True(RecursiveDnsServerOption.TryParse(option, out _, out _));
    }

    [Fact]
    public void WritingRefusesWhatCannotBeSent()
    {
        var buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => RecursiveDnsServerOption.Write(1800, [], buffer));
        Assert.Throws<ArgumentException>(() => RecursiveDnsServerOption.Write(1800, [IPAddress.Parse("192.0.2.53")], buffer));
        Assert.Throws<ArgumentException>(() => RecursiveDnsServerOption.Write(1800, [.. Enumerable.Repeat(IPAddress.Parse("2001:db8::1"), 4)], buffer));
    }
}
