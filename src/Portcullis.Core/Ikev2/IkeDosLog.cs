using System.Net;
using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// The responder's denial-of-service lines (RFC 7296 §2.6). Those a peer triggers per packet go through the
/// engine's <see cref="Logging.RateLimitedLog"/>; none carries an SA id, as no SA is made for these requests.
/// </summary>
internal static partial class IkeDosLog
{
    [LoggerMessage(EventId = 140, Level = LogLevel.Information, Message = "cookies required: {HalfOpen} half-open IKE_SAs reached cookie_threshold {Threshold}; IKE_SA_INIT without a valid COOKIE gets a stateless COOKIE answer")]
    public static partial void CookiesOn(ILogger logger, int halfOpen, int threshold);

    [LoggerMessage(EventId = 141, Level = LogLevel.Information, Message = "cookies no longer required: {HalfOpen} half-open IKE_SAs, below cookie_threshold {Threshold}")]
    public static partial void CookiesOff(ILogger logger, int halfOpen, int threshold);

    [LoggerMessage(EventId = 142, Level = LogLevel.Debug, Message = "IKE_SA_INIT from {Remote} {Why}: answered with a COOKIE, no state kept")]
    public static partial void CookieSent(ILogger logger, IPEndPoint remote, string why);

    [LoggerMessage(EventId = 143, Level = LogLevel.Warning, Message = "dropped IKE_SA_INIT from {Remote}: this address has {HalfOpen} half-open IKE_SAs, block_threshold {Threshold} (peer too aggressive)")]
    public static partial void Blocked(ILogger logger, IPEndPoint remote, int halfOpen, int threshold);

    [LoggerMessage(EventId = 144, Level = LogLevel.Warning, Message = "dropped IKE_SA_INIT from {Remote}: {HalfOpen} half-open IKE_SAs, init_limit_half_open {Limit}")]
    public static partial void HalfOpenLimit(ILogger logger, IPEndPoint remote, int halfOpen, int limit);
}
