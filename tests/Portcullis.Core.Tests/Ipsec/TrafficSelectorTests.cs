using System.Net;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Selectors;

public sealed class TrafficSelectorTests
{
    private static TrafficSelector Ts(string text) =>
        TrafficSelector.TryParse(text, out TrafficSelector ts, out string? error) ? ts : throw new ArgumentException(error);

    [Theory]
    [InlineData("198.18.1.0/24", "198.18.1.0", "198.18.1.255", 0, 0, 65535)]
    [InlineData("198.18.1.7", "198.18.1.7", "198.18.1.7", 0, 0, 65535)]
    [InlineData("198.18.1.1-198.18.1.9", "198.18.1.1", "198.18.1.9", 0, 0, 65535)]
    [InlineData("198.18.0.0/15[udp/1701]", "198.18.0.0", "198.19.255.255", 17, 1701, 1701)]
    [InlineData("198.18.1.0/24[tcp/80-90]", "198.18.1.0", "198.18.1.255", 6, 80, 90)]
    [InlineData("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535)]
    public void Parses_strongSwan_notation(string text, string start, string end, int protocol, int startPort, int endPort)
    {
        TrafficSelector ts = Ts(text);
        Assert.Equal(IPAddress.Parse(start), ts.StartAddress);
        Assert.Equal(IPAddress.Parse(end), ts.EndAddress);
        Assert.Equal(protocol, ts.Protocol);
        Assert.Equal(startPort, ts.StartPort);
        Assert.Equal(endPort, ts.EndPort);
    }

    [Theory]
    [InlineData("198.18.1.0/33")]
    [InlineData("198.18.1.9-198.18.1.1")]
    [InlineData("198.18.1.1-2001:db8::1")]
    [InlineData("not-an-address")]
    [InlineData("198.18.1.0/24[bogus]")]
    [InlineData("198.18.1.0/24[udp/90-80]")]
    [InlineData("198.18.1.0/24[udp")]
    public void Refuses_what_is_not_a_selector(string text)
    {
        Assert.False(TrafficSelector.TryParse(text, out _, out string? error));
        Assert.Contains(text.Split('[')[0].Split('/')[0].Split('-')[0], error);
    }

    [Theory]
    [InlineData("198.18.1.0/24")]
    [InlineData("198.18.1.7")]
    [InlineData("198.18.1.1-198.18.1.9")]
    [InlineData("198.18.0.0/15[17/1701]")]
    public void Prints_what_it_parses(string text) => Assert.Equal(Ts(text), Ts(Ts(text).ToString()));

    [Theory]
    [InlineData("198.18.1.0/24", "198.18.1.0/24")]
    [InlineData("198.18.1.7", "198.18.1.7/32")]
    [InlineData("198.18.1.10-198.18.1.20", "198.18.1.10/31 198.18.1.12/30 198.18.1.16/30 198.18.1.20/32")]
    [InlineData("0.0.0.0-255.255.255.255", "0.0.0.0/0")]
    [InlineData("0.0.0.1-255.255.255.255", "0.0.0.1/32 0.0.0.2/31 0.0.0.4/30 0.0.0.8/29 0.0.0.16/28 0.0.0.32/27 0.0.0.64/26 0.0.0.128/25 0.0.1.0/24 0.0.2.0/23 0.0.4.0/22 0.0.8.0/21 0.0.16.0/20 0.0.32.0/19 0.0.64.0/18 0.0.128.0/17 0.1.0.0/16 0.2.0.0/15 0.4.0.0/14 0.8.0.0/13 0.16.0.0/12 0.32.0.0/11 0.64.0.0/10 0.128.0.0/9 1.0.0.0/8 2.0.0.0/7 4.0.0.0/6 8.0.0.0/5 16.0.0.0/4 32.0.0.0/3 64.0.0.0/2 128.0.0.0/1")]
    [InlineData("2001:db8:200::/64", "2001:db8:200::/64")]
    [InlineData("2001:db8:200::10-2001:db8:200::20", "2001:db8:200::10/124 2001:db8:200::20/128")]
    [InlineData("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0")]
    [InlineData("2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::", "2001:db8::ffff:ffff:ffff:ffff/128 2001:db8:0:1::/128")]
    public void A_range_is_routed_as_the_fewest_prefixes_covering_exactly_it(string text, string expected) =>
        Assert.Equal(expected, string.Join(' ', Ts(text).Prefixes().Select(p => $"{p.Network}/{p.PrefixLength}")));

    [Fact]
    public void Narrowing_takes_the_common_part()
    {
        TrafficSelector? n = Ts("198.18.0.0/16").Intersect(Ts("198.18.1.0/24[udp/1701]"));
        Assert.Equal(Ts("198.18.1.0/24[udp/1701]"), n);
        Assert.Null(Ts("198.18.1.0/24").Intersect(Ts("198.18.2.0/24")));
        Assert.Null(Ts("198.18.1.0/24[tcp]").Intersect(Ts("198.18.1.0/24[udp]")));
        Assert.Null(Ts("198.18.1.0/24").Intersect(Ts("2001:db8::/32")));
        Assert.True(Ts("198.18.0.0/15").Covers(Ts("198.18.2.1")));
        Assert.False(Ts("198.18.2.1").Covers(Ts("198.18.0.0/15")));
    }

    [Fact]
    public void A_range_that_is_no_prefix_has_none()
    {
        Assert.False(Ts("198.18.1.1-198.18.1.9").TryGetPrefix(out _, out _));
        Assert.True(Ts("198.18.2.0/23").TryGetPrefix(out IPAddress network, out int length));
        Assert.Equal((IPAddress.Parse("198.18.2.0"), 23), (network, length));
    }
}
