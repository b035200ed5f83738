using System.Net;
using Portcullis.Core.Crypto.Kdf;

namespace Portcullis.Core.Ikev2;

/// <summary>The IKE engine's implementation choices (RFC 7296 leaves these to the implementation).</summary>
public sealed record IkeEngineOptions
{
    /// <summary>Local IKE port.</summary>
    public int IkePort { get; init; } = 500;

    /// <summary>Local NAT-T port: IKE here carries the non-ESP marker, ESP goes inside UDP (RFC 3948).</summary>
    public int NatTraversalPort { get; init; } = 4500;

    /// <summary>The peer's NAT-T port an initiator moves to after detecting a NAT.</summary>
    public int RemoteNatTraversalPort { get; init; } = 4500;

    /// <summary>First retransmission timeout (strongSwan's default: 4 s).</summary>
    public TimeSpan RetransmitTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Backoff base: the n-th retransmission waits timeout·base^n (strongSwan's default: 1.8).</summary>
    public double RetransmitBase { get; init; } = 1.8;

    /// <summary>Retransmissions before giving up (strongSwan's default: 5, about 165 s in all).</summary>
    public int RetransmitTries { get; init; } = 5;

    /// <summary>Cap on one retransmission delay (strongSwan's <c>retransmit_limit</c>); zero, the default, is no cap.</summary>
    public TimeSpan RetransmitLimit { get; init; } = TimeSpan.Zero;

    /// <summary>NAT-keepalive interval when this side is behind a NAT (RFC 3948 §2.3; strongSwan's default 20 s).</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long an IKE SA this side responds to may stay unauthenticated (initiators are bounded by retransmission).</summary>
    public TimeSpan HalfOpenTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest IP datagram (IP and UDP headers and the non-ESP marker included) an IKE fragment may fill (RFC 7383;
    /// strongSwan's <c>charon.fragment_size</c>, default 1280). Protected messages bigger than this are sent in
    /// fragments when both sides announced support; 0 means 576 bytes for IPv4 and 1280 for IPv6.
    /// </summary>
    public int FragmentSize { get; init; } = 1280;

    /// <summary>
    /// Most fragments accepted for one message (Total Fragments). 64 lets a peer fragment a message of
    /// <see cref="MaxIkeReassemblySize"/> bytes into pieces of about 160 bytes, well below what any sane fragment size
    /// gives, while bounding the decryptions one message can cost.
    /// </summary>
    public int MaxIkeFragments { get; init; } = 64;

    /// <summary>
    /// Most decrypted bytes kept while reassembling one fragmented message (10000, strongSwan's <c>charon.max_packet</c>).
    /// A message growing beyond it is discarded.
    /// </summary>
    public int MaxIkeReassemblySize { get; init; } = 10000;

    /// <summary>The source address the host would use towards a peer (for connections without a literal local address).</summary>
    public Func<IPAddress, IPAddress?>? SourceAddressFor { get; init; }

    /// <summary>
    /// When the last ESP packet arrived on the inbound SA with this SPI (null: none yet), from the host's data plane;
    /// DPD takes it as a sign of life, so a tunnel carrying traffic sends no liveness checks. Null: only IKE counts.
    /// </summary>
    public Func<uint, DateTimeOffset?>? LastInboundEsp { get; init; }

    /// <summary>Random bytes for SPIs and nonces; tests pass a seeded source. Defaults to the system CSPRNG.</summary>
    public Action<Span<byte>>? Random { get; init; }

    /// <summary>
    /// Called with an IKE SA's keys as soon as they are derived, for debugging with Wireshark (as strongSwan's
    /// save-keys plugin does). Null, the default, exports nothing.
    /// </summary>
    public Action<IkeSa, IkeSaKeys>? KeyLog { get; init; }

    /// <summary>
    /// The same for IKEv1: called with an ISAKMP SA, its encryption key (Wireshark decrypts ISAKMP with the initiator's
    /// cookie and this key) and SKEYID with its offspring, once derived. Null, the default, exports nothing.
    /// </summary>
    public Action<Ikev1.IsakmpSa, byte[], Crypto.Kdf.Ikev1SaKeys>? Ikev1KeyLog { get; init; }

    /// <summary>Delay before the next send of a request already sent <paramref name="tries"/> extra times, at most <see cref="RetransmitLimit"/> when set.</summary>
    public TimeSpan RetransmitDelay(int tries)
    {
        TimeSpan delay = RetransmitTimeout * Math.Pow(RetransmitBase, tries);
        return RetransmitLimit > TimeSpan.Zero && delay > RetransmitLimit ? RetransmitLimit : delay;
    }

    /// <summary>
    /// How long a request is retransmitted before it is given up (every delay up to the last try). A peer whose
    /// response got lost keeps retransmitting this long, so an SA it may still be rekeying is kept at least as long.
    /// </summary>
    public TimeSpan RetransmitBudget
    {
        get
        {
            TimeSpan total = TimeSpan.Zero;
            for (int tries = 0; tries <= RetransmitTries; tries++) total += RetransmitDelay(tries);
            return total;
        }
    }

    /// <summary>
    /// Denial-of-service protection for the responder (strongSwan's <c>charon.dos_protection</c>, default yes):
    /// stateless cookies past <see cref="CookieThreshold"/> and the per-address <see cref="BlockThreshold"/>.
    /// </summary>
    public bool DosProtection { get; init; } = true;

    /// <summary>
    /// Half-open responder IKE SAs at which every new IKE_SA_INIT must carry a valid COOKIE (RFC 7296 §2.6;
    /// strongSwan's <c>charon.cookie_threshold</c>, default 10 here; 0 asks for cookies always).
    /// </summary>
    public int CookieThreshold { get; init; } = 10;

    /// <summary>
    /// Half-open responder IKE SAs one peer address may have; further IKE_SA_INIT requests from it are dropped
    /// (strongSwan's <c>charon.block_threshold</c>, default 5; 0 switches it off).
    /// </summary>
    public int BlockThreshold { get; init; } = 5;

    /// <summary>
    /// Half-open responder IKE SAs beyond which new IKE_SA_INIT requests are dropped, whatever
    /// <see cref="DosProtection"/> says (strongSwan's <c>charon.init_limit_half_open</c>; 0, the default, is no limit).
    /// </summary>
    public int InitLimitHalfOpen { get; init; }

    /// <summary>
    /// Half-open IKEv1 responder SAs kept at most, whatever <see cref="InitLimitHalfOpen"/> says. IKEv1 has no cookie
    /// exchange: without a cap, Main or Aggressive Mode first messages from forged addresses (each under
    /// <see cref="BlockThreshold"/>) would each hold an SA until the half-open timeout. Portcullis's own bound, not a
    /// strongSwan setting.
    /// </summary>
    public int Ikev1HalfOpenCap { get; init; } = 4096;
}
