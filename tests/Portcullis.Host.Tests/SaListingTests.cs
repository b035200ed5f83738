using Microsoft.Extensions.Logging.Abstractions;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Host.Daemon;

namespace Portcullis.Host.Tests;

public sealed class SaListingTests
{
    private static readonly PortcullisConfig Empty = new() { Connections = [], Secrets = [] };

    [Fact]
    public void List_sas_ends_with_the_dos_summary()
    {
        var engine = new IkeEngine(Empty, new IkeEngineOptions(), NullLogger.Instance);
        string text = SaListing.ListSas(engine.IkeSas, null, DateTimeOffset.UnixEpoch, engine);
        Assert.Equal("half-open IKE_SAs: 0, cookies not required (cookie_threshold 10, block_threshold 5); 0 IKE_SA_INIT answered with a COOKIE, 0 dropped\n", text);
    }

    [Fact]
    public void Dos_summary_shows_cookie_mode_and_settings()
    {
        var always = new IkeEngine(Empty, new IkeEngineOptions { CookieThreshold = 0, InitLimitHalfOpen = 100 }, NullLogger.Instance);
        Assert.StartsWith("half-open IKE_SAs: 0, cookies required (cookie_threshold 0, block_threshold 5), init_limit_half_open 100;", SaListing.DosSummary(always));
        var off = new IkeEngine(Empty, new IkeEngineOptions { DosProtection = false }, NullLogger.Instance);
        Assert.StartsWith("half-open IKE_SAs: 0, dos_protection off;", SaListing.DosSummary(off));
    }
}
