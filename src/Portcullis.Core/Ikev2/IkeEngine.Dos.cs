using System.Net;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Logging;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// Denial-of-service protection of the responder (RFC 7296 §2.6): half-open responder IKE SAs are counted as they
/// come and go (so the checks cost the same under a flood as at rest), stateless cookies past
/// <see cref="IkeEngineOptions.CookieThreshold"/>, a per-address <see cref="IkeEngineOptions.BlockThreshold"/>,
/// the hard cap <see cref="IkeEngineOptions.InitLimitHalfOpen"/>, and rate-limited lines for everything a peer can
/// trigger without authenticating.
/// </summary>
public sealed partial class IkeEngine
{
    // Kinds of rate-limited lines.
    private const string DroppedKind = "dropped", NoConnectionKind = "no connection", CookieKind = "cookie",
        CookieModeKind = "cookie mode", BlockKind = "block_threshold", LimitKind = "init_limit_half_open";

    // Each half-open responder SA with the address it is counted under: the SA's remote endpoint may move (NAT-T)
    // before it is authenticated, and the count must come down under the address it went up under.
    private readonly Dictionary<IkeSa, IPAddress> _halfOpenResponders = [];
    private readonly Dictionary<IPAddress, int> _halfOpenPerAddress = [];
    private CookieGenerator? _cookies;
    private RateLimitedLog? _peerLog;
    private bool _cookieMode;

    /// <summary>Responder IKE SAs not authenticated yet (IKE_SA_INIT answered, IKE_AUTH not done): the half-open ones.</summary>
    public int HalfOpenCount => _halfOpenResponders.Count;

    /// <summary>A new IKE_SA_INIT must carry a valid COOKIE now (DoS protection on and the threshold reached).</summary>
    public bool CookiesRequired => Options.DosProtection && HalfOpenCount >= Options.CookieThreshold;

    /// <summary>IKE_SA_INIT requests answered with a COOKIE (stateless) since the engine started.</summary>
    public long CookiesSent { get; private set; }

    /// <summary>IKE_SA_INIT requests dropped by the block threshold or the half-open limit since the engine started.</summary>
    public long InitRequestsDropped { get; private set; }

    /// <summary>Half-open responder IKE SAs whose initiator came from <paramref name="address"/>.</summary>
    public int HalfOpenFrom(IPAddress address) => _halfOpenPerAddress.GetValueOrDefault(address);

    /// <summary>The limiter of lines a peer can trigger without authenticating.</summary>
    internal RateLimitedLog PeerLog => _peerLog ??= new RateLimitedLog(Logger);

    // Made on first use, so an engine that never needs a cookie draws no random bytes for it.
    private CookieGenerator Cookies => _cookies ??= new CookieGenerator(Fill);

    private void EnteredHalfOpen(IkeSa sa, IPAddress address)
    {
        if (!_halfOpenResponders.TryAdd(sa, address)) return;
        _halfOpenPerAddress[address] = _halfOpenPerAddress.GetValueOrDefault(address) + 1;
    }

    /// <summary>
    /// A responder SA stops being half-open: it was authenticated (<c>IkeSa.Established</c>) or removed
    /// (<see cref="Forget"/>). Any other SA, or one already counted out, is ignored.
    /// </summary>
    internal void LeftHalfOpen(IkeSa sa)
    {
        if (!_halfOpenResponders.Remove(sa, out IPAddress? address)) return;
        int left = _halfOpenPerAddress[address] - 1;
        if (left == 0) _halfOpenPerAddress.Remove(address);
        else _halfOpenPerAddress[address] = left;
    }

    /// <summary>
    /// Whether a new IKE_SA_INIT request may make an SA. Otherwise it was answered with a stateless COOKIE (cookies
    /// required and none valid, first payload; RFC 7296 §2.6) or dropped silently (block threshold, half-open limit).
    /// The cookie comes first: an address that proved it receives our answers is then held to the per-address limit.
    /// </summary>
    private bool AdmitInitRequest(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, IkeHeader header, IkeMessage message)
    {
        bool required = CookiesRequired;
        if (required != _cookieMode)
        {
            _cookieMode = required;
            if (PeerLog.Allow(CookieModeKind, LogLevel.Information, now))
            {
                if (required) IkeDosLog.CookiesOn(Logger, HalfOpenCount, Options.CookieThreshold);
                else IkeDosLog.CookiesOff(Logger, HalfOpenCount, Options.CookieThreshold);
            }
        }
        if (required)
        {
            NoncePayload? nonce = message.Get<NoncePayload>();
            if (nonce is null)
            {
                // No Ni, no cookie to compute: the request is malformed anyway.
                LogDropped(now, remote, "IKE_SA_INIT without a Nonce payload while cookies are required");
                InitRequestsDropped++;
                return false;
            }
            NotifyPayload? cookie = message.Payloads.Count > 0 && message.Payloads[0] is NotifyPayload { NotifyType: NotifyType.Cookie } first ? first : null;
            if (cookie is null || !Cookies.Verify(now, cookie.Data, nonce.Nonce, remote.Address, header.InitiatorSpi))
            {
                // An invalid cookie is treated as none (RFC 7296 §2.6): the answer is a fresh one.
                byte[] fresh = Cookies.Generate(now, nonce.Nonce, remote.Address, header.InitiatorSpi);
                if (PeerLog.Allow(CookieKind, LogLevel.Debug, now))
                    IkeDosLog.CookieSent(Logger, remote, cookie is null ? "without a COOKIE" : "with an invalid or expired COOKIE");
                SendStateless(local, remote, header, ExchangeType.IkeSaInit, new NotifyPayload(NotifyType.Cookie, fresh));
                CookiesSent++;
                return false;
            }
        }
        if (Options.InitLimitHalfOpen > 0 && HalfOpenCount >= Options.InitLimitHalfOpen)
        {
            if (PeerLog.Allow(LimitKind, LogLevel.Warning, now)) IkeDosLog.HalfOpenLimit(Logger, remote, HalfOpenCount, Options.InitLimitHalfOpen);
            InitRequestsDropped++;
            return false;
        }
        int fromPeer = HalfOpenFrom(remote.Address);
        if (Options.DosProtection && Options.BlockThreshold > 0 && fromPeer >= Options.BlockThreshold)
        {
            if (PeerLog.Allow(BlockKind, LogLevel.Warning, now)) IkeDosLog.Blocked(Logger, remote, fromPeer, Options.BlockThreshold);
            InitRequestsDropped++;
            return false;
        }
        return true;
    }

    /// <summary><see cref="IkeLog.Dropped"/> through the rate limiter: a flood of junk must not fill the disk.</summary>
    internal void LogDropped(DateTimeOffset now, IPEndPoint remote, string reason)
    {
        if (PeerLog.Allow(DroppedKind, LogLevel.Warning, now)) IkeLog.Dropped(Logger, remote, reason);
    }

    /// <summary><see cref="IkeLog.NoConnection"/> through the rate limiter.</summary>
    private void LogNoConnection(DateTimeOffset now, IPEndPoint remote, IPEndPoint local)
    {
        if (PeerLog.Allow(NoConnectionKind, LogLevel.Warning, now)) IkeLog.NoConnection(Logger, remote, local);
    }
}
