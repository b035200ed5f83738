using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Logging;
using static Portcullis.Core.Tests.Ikev2.EnginePair;
using static Portcullis.Core.Tests.Ikev2.Ikev2EstablishTests;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>The responder's DoS protection (RFC 7296 §2.6): cookies, block threshold, half-open limit, log limits.</summary>
public class Ikev2DosProtectionTests
{
    private static readonly IPEndPoint RightIke = new(RightAddress, 500);

    private static IPEndPoint Spoofed(int i) => new(IPAddress.Parse($"203.0.113.{1 + i % 250}"), 500);

    /// <summary>
    /// A genuine IKE_SA_INIT request (real ECP-256 public value, fresh SPIi and nonce) made by a throwaway initiator
    /// engine seeded with <paramref name="seed"/>.
    /// </summary>
    private static byte[] InitRequest(int seed)
    {
        var random = new Random(1000 + seed);
        var engine = new IkeEngine(MakeConfig(Connection(left: true)), new IkeEngineOptions { Random = span => random.NextBytes(span) }, NullLogger.Instance);
        Assert.True(engine.Initiate(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), "net", out string? error), error);
        Assert.True(engine.TryDequeueTransmit(out IkeTransmit? t));
        return t!.Data;
    }

    private static IkeMessage Decode(byte[] data)
    {
        Assert.True(IkeHeader.TryParse(data, out IkeHeader h, out ParseError e), e.ToString());
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(data, h, null, out IkeMessage? m, out e, out _));
        return m!;
    }

    /// <summary>The request with N(COOKIE) put in front of its payloads, everything else unchanged.</summary>
    private static byte[] WithCookie(byte[] request, byte[] cookie)
    {
        IkeMessage m = Decode(request);
        return new IkeMessage(m.Header, [new NotifyPayload(NotifyType.Cookie, cookie), .. m.Payloads]).Encode(null);
    }

    /// <summary>The cookie of a stateless COOKIE answer; fails unless the packet is exactly that.</summary>
    private static byte[] CookieOf(Packet p)
    {
        IkeMessage m = Decode(p.Data);
        Assert.True(m.Header.IsResponse);
        Assert.Equal(ExchangeType.IkeSaInit, m.Header.ExchangeType);
        Assert.Equal(0UL, m.Header.ResponderSpi);
        NotifyPayload n = Assert.IsType<NotifyPayload>(Assert.Single(m.Payloads));
        Assert.Equal(NotifyType.Cookie, n.NotifyType);
        Assert.Equal(CookieGenerator.CookieLength, n.Data.Length);
        return n.Data.ToArray();
    }

    private static bool IsCookieAnswer(Packet p) =>
        p.From == Side.Right && p.Header is { IsResponse: true, ExchangeType: ExchangeType.IkeSaInit, ResponderSpi: 0 }
        && Decode(p.Data).Payloads is [NotifyPayload { NotifyType: NotifyType.Cookie }];

    private static bool IsFullInitAnswer(Packet p) =>
        p.From == Side.Right && p.Header is { IsResponse: true, ExchangeType: ExchangeType.IkeSaInit } h && h.ResponderSpi != 0
        && Decode(p.Data).Get<KePayload>() is not null;

    /// <summary>Delivers a request to the responder as if from <paramref name="from"/> and returns what it sent back.</summary>
    private static List<Packet> Send(EnginePair pair, byte[] request, IPEndPoint from)
    {
        int before = pair.Sent.Count;
        pair.Right.HandleDatagram(pair.Now, RightIke, from, request);
        pair.Pump();
        return pair.Sent.Skip(before).Where(p => p.From == Side.Right).ToList();
    }

    private static EnginePair PairWith(IkeEngineOptions rightOptions) =>
        new(MakeConfig(Connection(left: true)), MakeConfig(Connection(left: false)), rightOptions: rightOptions);

    [Fact]
    public void Past_the_cookie_threshold_the_answer_is_a_stateless_cookie_and_the_initiator_gets_through_with_it()
    {
        EnginePair pair = PairWith(new IkeEngineOptions { CookieThreshold = 3 });
        for (int i = 0; i < 3; i++) Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, InitRequest(i), Spoofed(i)))));
        Assert.Equal(3, pair.Right.HalfOpenCount);
        Assert.True(pair.Right.CookiesRequired);

        int sasWhenCookieSent = -1;
        pair.Intercept = p =>
        {
            if (sasWhenCookieSent < 0 && IsCookieAnswer(p)) sasWhenCookieSent = pair.Right.IkeSas.Count;
            return [p];
        };
        // A short horizon: the three half-open SAs must not time out meanwhile.
        pair.Establish(horizon: TimeSpan.FromSeconds(1));

        AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.Equal(3, sasWhenCookieSent); // the cookie answer kept no state
        Assert.Equal(1, pair.Right.CookiesSent);
        // Left's requests: the first without, the second with the cookie in front; then IKE_AUTH.
        List<Packet> leftInits = pair.Sent.Where(p => p.From == Side.Left && p.Header is { ExchangeType: ExchangeType.IkeSaInit }).ToList();
        Assert.Equal(2, leftInits.Count);
        byte[] cookie = CookieOf(Assert.Single(pair.Sent, IsCookieAnswer));
        Assert.Equal(cookie, Assert.IsType<NotifyPayload>(Decode(leftInits[1].Data).Payloads[0]).Data.ToArray());
        // The established SA is no longer half-open; the three spoofed ones still are.
        Assert.Equal(3, pair.Right.HalfOpenCount);
        Assert.Equal(4, pair.Right.IkeSas.Count);
        Assert.True(pair.RightLog.Has("cookies required: 3 half-open IKE_SAs reached cookie_threshold 3"), pair.Dump());
        Assert.True(pair.LeftLog.Has("peer asked for a COOKIE"), pair.Dump());
        Assert.Contains(pair.Right.IkeSas, sa => sa.State == IkeSaState.Established);
    }

    [Fact]
    public void Below_the_threshold_no_cookie_is_asked_for()
    {
        EnginePair pair = PairWith(new IkeEngineOptions { CookieThreshold = 3 });
        for (int i = 0; i < 2; i++) Send(pair, InitRequest(i), Spoofed(i));
        Assert.False(pair.Right.CookiesRequired);
        pair.Establish(horizon: TimeSpan.FromSeconds(1));
        AssertIkePair(pair);
        Assert.Equal(0, pair.Right.CookiesSent);
        Assert.DoesNotContain(pair.Sent, IsCookieAnswer);
    }

    [Fact]
    public void An_invalid_cookie_is_ignored_and_answered_with_a_fresh_one()
    {
        EnginePair pair = PairWith(new IkeEngineOptions { CookieThreshold = 0 });
        byte[] request = InitRequest(1);
        byte[] cookie = CookieOf(Assert.Single(Send(pair, request, Spoofed(1))));

        byte[] forged = (byte[])cookie.Clone();
        forged[^1] ^= 1;
        byte[] again = CookieOf(Assert.Single(Send(pair, WithCookie(request, forged), Spoofed(1))));
        Assert.Equal(cookie, again); // same secret, same Ni/IPi/SPIi: the same cookie
        // Bound to the address: the right cookie from another address is refused.
        CookieOf(Assert.Single(Send(pair, WithCookie(request, cookie), Spoofed(2))));
        // Bound to Ni and SPIi: another request with this cookie is refused.
        CookieOf(Assert.Single(Send(pair, WithCookie(InitRequest(2), cookie), Spoofed(1))));
        // Truncated, and not the first payload: refused.
        CookieOf(Assert.Single(Send(pair, WithCookie(request, cookie[..^1]), Spoofed(1))));
        IkeMessage m = Decode(request);
        byte[] cookieLast = new IkeMessage(m.Header, [.. m.Payloads, new NotifyPayload(NotifyType.Cookie, cookie)]).Encode(null);
        CookieOf(Assert.Single(Send(pair, cookieLast, Spoofed(1))));
        Assert.Empty(pair.Right.IkeSas);
        Assert.Equal(6, pair.Right.CookiesSent);

        // The genuine one gets an SA.
        Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, WithCookie(request, cookie), Spoofed(1)))));
        Assert.Single(pair.Right.IkeSas);
    }

    [Fact]
    public void A_cookie_of_the_previous_secret_is_accepted_within_the_grace_period_and_refused_after()
    {
        EnginePair pair = PairWith(new IkeEngineOptions { CookieThreshold = 0, HalfOpenTimeout = TimeSpan.FromHours(1) });
        byte[] a = InitRequest(1), b = InitRequest(2);
        byte[] cookieA = CookieOf(Assert.Single(Send(pair, a, Spoofed(1))));
        byte[] cookieB = CookieOf(Assert.Single(Send(pair, b, Spoofed(2))));
        Assert.Equal(cookieA[0], cookieB[0]);

        // 65 s later the secret has changed (every 60 s) but the previous one is still accepted (10 s grace).
        pair.Now += TimeSpan.FromSeconds(65);
        byte[] newer = CookieOf(Assert.Single(Send(pair, InitRequest(3), Spoofed(3))));
        Assert.Equal((byte)(cookieA[0] + 1), newer[0]);
        Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, WithCookie(a, cookieA), Spoofed(1)))));
        Assert.Single(pair.Right.IkeSas);

        // 71 s after it was made, past the grace period: refused, and answered with a cookie of the current secret.
        pair.Now += TimeSpan.FromSeconds(6);
        byte[] fresh = CookieOf(Assert.Single(Send(pair, WithCookie(b, cookieB), Spoofed(2))));
        Assert.Equal(newer[0], fresh[0]);
        Assert.NotEqual(cookieB, fresh);
        Assert.Single(pair.Right.IkeSas);
        Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, WithCookie(b, fresh), Spoofed(2)))));
        Assert.Equal(2, pair.Right.IkeSas.Count);
    }

    [Fact]
    public void Cookie_generator_binds_each_value_and_rotates_its_secret()
    {
        var random = new Random(7);
        using var cookies = new CookieGenerator(span => random.NextBytes(span));
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        byte[] ni = new byte[32], otherNi = new byte[32];
        otherNi[0] = 1;
        IPAddress ip = IPAddress.Parse("198.51.100.7"), otherIp = IPAddress.Parse("198.51.100.8");
        byte[] c = cookies.Generate(t0, ni, ip, 42);
        Assert.Equal(CookieGenerator.CookieLength, c.Length);
        Assert.True(cookies.Verify(t0 + TimeSpan.FromSeconds(59), c, ni, ip, 42));
        Assert.False(cookies.Verify(t0, c, otherNi, ip, 42));
        Assert.False(cookies.Verify(t0, c, ni, otherIp, 42));
        Assert.False(cookies.Verify(t0, c, ni, ip, 43));
        Assert.False(cookies.Verify(t0, [], ni, ip, 42));
        Assert.False(cookies.Verify(t0, [.. c, 0], ni, ip, 42));
        // A different version byte with the right MAC is not accepted either.
        byte[] wrongVersion = (byte[])c.Clone();
        wrongVersion[0]++;
        Assert.False(cookies.Verify(t0, wrongVersion, ni, ip, 42));

        // Rotation at 60 s; the old cookie is good until 70 s, then not.
        Assert.Equal(c[0] + 1, cookies.CurrentVersion(t0 + TimeSpan.FromSeconds(60)));
        Assert.NotEqual(c, cookies.Generate(t0 + TimeSpan.FromSeconds(60), ni, ip, 42));
        Assert.True(cookies.Verify(t0 + TimeSpan.FromSeconds(69), c, ni, ip, 42));
        Assert.False(cookies.Verify(t0 + TimeSpan.FromSeconds(70), c, ni, ip, 42));

        // After a long quiet spell no old secret survives: a cookie from before is refused at once.
        byte[] late = cookies.Generate(t0 + TimeSpan.FromSeconds(100), ni, ip, 42);
        Assert.False(cookies.Verify(t0 + TimeSpan.FromSeconds(1000), late, ni, ip, 42));
    }

    [Fact]
    public void Cookie_less_requests_past_the_threshold_make_no_state()
    {
        EnginePair pair = PairWith(new IkeEngineOptions { CookieThreshold = 2 });
        for (int i = 0; i < 2; i++) Send(pair, InitRequest(i), Spoofed(i));
        Assert.Equal(2, pair.Right.IkeSas.Count);

        // One real request replayed with 500 different SPIs from 250 addresses: every answer a cookie, no SA.
        IkeMessage template = Decode(InitRequest(99));
        int before = pair.Sent.Count;
        for (int i = 0; i < 500; i++)
        {
            byte[] request = new IkeMessage(template.Header with { InitiatorSpi = 0x1000UL + (ulong)i }, template.Payloads).Encode(null);
            pair.Right.HandleDatagram(pair.Now, RightIke, Spoofed(i), request);
        }
        pair.Pump();
        List<Packet> answers = pair.Sent.Skip(before).Where(p => p.From == Side.Right).ToList();
        Assert.Equal(500, answers.Count);
        Assert.All(answers, p => CookieOf(p));
        Assert.Equal(2, pair.Right.IkeSas.Count);
        Assert.Equal(2, pair.Right.HalfOpenCount);
        Assert.Equal(500, pair.Right.CookiesSent);
        // The answers are small: no amplification (33-byte cookie, 8-byte notify header, 28-byte IKE header).
        Assert.All(answers, p => Assert.Equal(IkeHeader.Size + 8 + CookieGenerator.CookieLength, p.Data.Length));
    }

    [Fact]
    public void An_address_at_the_block_threshold_is_dropped_silently_others_are_not()
    {
        EnginePair pair = PairWith(new IkeEngineOptions()); // strongSwan's defaults: block 5, cookies at 10
        IPEndPoint aggressive = Spoofed(7);
        for (int i = 0; i < 5; i++) Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, InitRequest(i), aggressive))));
        Assert.Equal(5, pair.Right.HalfOpenFrom(aggressive.Address));

        Assert.Empty(Send(pair, InitRequest(5), aggressive));
        Assert.Empty(Send(pair, InitRequest(6), new IPEndPoint(aggressive.Address, 4500)));
        Assert.Equal(5, pair.Right.IkeSas.Count);
        Assert.Equal(2, pair.Right.InitRequestsDropped);
        List<string> lines = pair.RightLog.Warnings.Where(w => w.Contains("block_threshold")).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("dropped IKE_SA_INIT from 203.0.113.8:500: this address has 5 half-open IKE_SAs, block_threshold 5", lines[0]);

        Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, InitRequest(7), Spoofed(8)))));
        Assert.Equal(6, pair.Right.HalfOpenCount);

        // When the half-open SAs time out the address may try again.
        pair.Now += pair.Right.Options.HalfOpenTimeout;
        pair.Right.HandleTimeout(pair.Now);
        Assert.Equal(0, pair.Right.HalfOpenCount);
        Assert.Equal(0, pair.Right.HalfOpenFrom(aggressive.Address));
        Assert.Empty(pair.Right.IkeSas);
        Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, InitRequest(8), aggressive))));
    }

    [Fact]
    public void Without_dos_protection_no_cookies_or_blocking_but_the_half_open_limit_holds()
    {
        EnginePair pair = PairWith(new IkeEngineOptions { DosProtection = false, CookieThreshold = 1, InitLimitHalfOpen = 7 });
        IPEndPoint one = Spoofed(3);
        for (int i = 0; i < 7; i++) Assert.True(IsFullInitAnswer(Assert.Single(Send(pair, InitRequest(i), one))));
        Assert.False(pair.Right.CookiesRequired);
        Assert.Empty(Send(pair, InitRequest(7), Spoofed(4)));
        Assert.Equal(7, pair.Right.IkeSas.Count);
        Assert.Equal(0, pair.Right.CookiesSent);
        Assert.Equal(1, pair.Right.InitRequestsDropped);
        Assert.True(pair.RightLog.Has("7 half-open IKE_SAs, init_limit_half_open 7"), pair.Dump());
    }

    [Fact]
    public void Established_and_removed_responder_sas_leave_the_half_open_count()
    {
        EnginePair pair = Create();
        pair.NatLeft = true; // the responder's view of the peer moves to 4500 before IKE_AUTH completes
        pair.Establish(horizon: TimeSpan.Zero);
        AssertIkePair(pair);
        Assert.Equal(0, pair.Right.HalfOpenCount);
        Assert.Equal(0, pair.Right.HalfOpenFrom(NatPublicAddress));

        Send(pair, InitRequest(1), Spoofed(1));
        Assert.Equal(1, pair.Right.HalfOpenCount);
        // Deleted before it was authenticated (shutdown): counted out when it is removed.
        pair.Right.TerminateAll(pair.Now, "test");
        pair.Drive();
        Assert.Equal(0, pair.Right.HalfOpenCount);
        Assert.Equal(0, pair.Right.HalfOpenFrom(Spoofed(1).Address));
    }

    [Fact]
    public void A_flood_writes_a_bounded_number_of_lines_with_a_summary_of_the_rest()
    {
        EnginePair pair = PairWith(new IkeEngineOptions { CookieThreshold = 0 });
        IkeMessage template = Decode(InitRequest(1));
        // 2000 requests in 2 s of the fake clock, then junk for unknown SPIs (IkeLog.Dropped) in the same 2 s.
        for (int i = 0; i < 2000; i++)
        {
            byte[] request = new IkeMessage(template.Header with { InitiatorSpi = 0x2000UL + (ulong)i }, template.Payloads).Encode(null);
            pair.Right.HandleDatagram(pair.Now + TimeSpan.FromMilliseconds(i), RightIke, Spoofed(i), request);
            var junk = new IkeHeader(0x3000UL + (ulong)i, 0x4000UL, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.Informational, IkeHeaderFlags.Initiator, 1, 0);
            pair.Right.HandleDatagram(pair.Now + TimeSpan.FromMilliseconds(i), RightIke, Spoofed(i), new IkeMessage(junk, []).Encode(null));
        }
        Assert.Equal(2000, pair.Right.CookiesSent);
        int cookieLines = pair.RightLog.Lines.Count(l => l.Text.Contains("answered with a COOKIE"));
        int droppedLines = pair.RightLog.Lines.Count(l => l.Text.Contains("dropped IKE message"));
        // Burst 20 plus 10 per second over 2 s: at most 40 (+1 for rounding) of each, instead of 2000.
        Assert.InRange(cookieLines, 20, 41);
        Assert.InRange(droppedLines, 20, 41);
        Assert.True(pair.RightLog.Has("suppressed"), pair.Dump());

        // Once the flood stops, the engine's timer writes what was left unsummarized, and the counts add up.
        pair.Now += TimeSpan.FromSeconds(5);
        pair.Right.HandleTimeout(pair.Now);
        long summarized = pair.RightLog.Lines.Select(l => System.Text.RegularExpressions.Regex.Match(l.Text, @"^suppressed (\d+) similar messages \(cookie\)"))
            .Where(m => m.Success).Sum(m => long.Parse(m.Groups[1].Value));
        Assert.Equal(2000, cookieLines + summarized);
        Assert.True(pair.RightLog.Lines.Count < 200, $"{pair.RightLog.Lines.Count} lines");
    }

    [Fact]
    public void Rate_limited_log_is_a_token_bucket_per_kind()
    {
        var log = new CapturingLogger("test");
        var limited = new RateLimitedLog(log, linesPerSecond: 10, burst: 20);
        var t = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(20, Enumerable.Range(0, 100).Count(_ => limited.Allow("a", LogLevel.Warning, t)));
        Assert.Equal(80, limited.PendingSuppressed("a"));
        // Another kind has its own bucket.
        Assert.True(limited.Allow("b", LogLevel.Warning, t));
        Assert.Empty(log.Lines);

        // Half a second later, five tokens: the first allowed line comes after the summary of the 80.
        t += TimeSpan.FromSeconds(0.5);
        Assert.Equal(5, Enumerable.Range(0, 100).Count(_ => limited.Allow("a", LogLevel.Warning, t)));
        (LogLevel level, string text) = Assert.Single(log.Lines);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Equal("suppressed 80 similar messages (a) in the last 0.5 s", text);
        Assert.Equal(95, limited.PendingSuppressed("a"));

        // Flush writes the rest once a token is back, not before.
        limited.Flush(t);
        Assert.Single(log.Lines);
        limited.Flush(t + TimeSpan.FromSeconds(1));
        Assert.Equal("suppressed 95 similar messages (a) in the last 1.0 s", log.Lines[^1].Text);
        Assert.Equal(0, limited.PendingSuppressed("a"));
        Assert.Equal(175, limited.TotalSuppressed("a"));
    }

    [Fact]
    public void Rate_limited_log_does_not_count_lines_the_logger_would_not_write()
    {
        var limited = new RateLimitedLog(NullLogger.Instance, linesPerSecond: 1, burst: 1);
        var t = DateTimeOffset.UnixEpoch;
        Assert.False(limited.Allow("a", LogLevel.Error, t));
        Assert.Equal(0, limited.TotalSuppressed("a"));
    }
}
