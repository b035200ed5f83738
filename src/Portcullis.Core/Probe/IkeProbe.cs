using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;
using V1Sa = Portcullis.Core.Ikev1.Wire.SaPayload;
using V1VendorId = Portcullis.Core.Ikev1.Wire.VendorIdPayload;
using V2Sa = Portcullis.Core.Ikev2.Wire.SaPayload;
using V2VendorId = Portcullis.Core.Ikev2.Wire.VendorIdPayload;

namespace Portcullis.Core.Probe;

/// <summary>What to probe and with what.</summary>
public sealed record ProbeOptions
{
    /// <summary>The responder (port 500, or 4500 with the non-ESP marker).</summary>
    public required IPEndPoint Target { get; init; }

    /// <summary>Our address and port as the socket has them (for NAT detection).</summary>
    public required IPEndPoint Local { get; init; }

    /// <summary>IKEv1 Main Mode instead of IKEv2.</summary>
    public bool Ikev1 { get; init; }

    /// <summary>The IKE proposals to offer (strongSwan notation); null: <see cref="IkeProbe.DefaultProposals"/>.</summary>
    public string? Proposals { get; init; }
}

/// <summary>What the host does next.</summary>
public readonly record struct ProbeStep(byte[]? Send, ProbeResult? Result)
{
    /// <summary>Send this datagram and wait for the answer (a retry: with a COOKIE or another group).</summary>
    public static ProbeStep Resend(byte[] datagram) => new(datagram, null);

    /// <summary>The probe is over.</summary>
    public static ProbeStep Done(ProbeResult result) => new(null, result);

    /// <summary>A datagram that is not the answer to our request (another SPI, a stray packet): keep waiting.</summary>
    public static ProbeStep Ignore => default;
}

/// <summary>
/// An ike-scan-like probe of one IKE responder, with no I/O: it builds an IKE_SA_INIT (or an IKEv1 Main Mode first
/// message), reads the answer and reports what the responder chose, its notify, NAT detection and vendor IDs. It
/// never goes past the first exchange (no IKE_AUTH, no Main Mode message 3), so it authenticates nothing and keeps no
/// state on the responder beyond a half-open SA. COOKIE (RFC 7296 §2.6) and INVALID_KE_PAYLOAD (§1.3) are followed
/// once each, as an initiator would.
/// </summary>
public sealed class IkeProbe
{
    /// <summary>
    /// A broad offer: AEAD and classic suites with the usual groups, newest first, legacy last (so a responder that
    /// accepts only MODP-1024 or SHA-1 says so).
    /// </summary>
    public const string DefaultProposals =
        "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-ecp256-ecp384-ecp521-curve25519-modp2048-modp3072-modp4096," +
        "aes128-aes192-aes256-sha256-sha384-sha512-sha1-ecp256-ecp384-ecp521-curve25519-modp2048-modp3072-modp4096-modp1536-modp1024," +
        "3des-sha1-modp1024";

    /// <summary>
    /// The IKEv1 offer: IKEv1 needs one transform per combination (and the probe sends each with a pre-shared key and
    /// with RSA signatures), so the list is kept short enough for one unfragmented datagram.
    /// </summary>
    public const string DefaultIkev1Proposals = "aes128-aes256-sha256-sha1-modp2048-modp1024-ecp256,3des-sha1-modp1024";

    /// <summary>The Vendor IDs an IKEv1 probe sends, so the responder answers with its own (as ike-scan does).</summary>
    private static readonly byte[][] s_ikev1VendorIds =
    [
        VendorIds.NatTraversal,
        Convert.FromHexString("CD60464335DF21F87CFDB2FC68B6A448"), // draft-ietf-ipsec-nat-t-ike-02
        Convert.FromHexString("90CB80913EBB696E086381B5EC427B1F"), // draft-ietf-ipsec-nat-t-ike-02\n
        Convert.FromHexString("7D9419A65310CA6F2C179D9215529D56"), // draft-ietf-ipsec-nat-t-ike-03
        VendorIds.Dpd,
        VendorIds.Xauth,
        VendorIds.CiscoUnity,
        VendorIds.CiscoFragmentation,
    ];

    private readonly ProbeOptions _options;
    private readonly Func<int, byte[]> _random;
    private readonly IReadOnlyList<Proposal> _proposals;
    private readonly ulong _spi;
    private KeyExchangeTransform _group;
    private byte[]? _cookie;
    private byte[] _nonce;
    private byte[] _request = [];
    private string? _requestedGroup;
    private int _sent;

    /// <summary>A probe; <paramref name="random"/> gives SPIs, nonces (tests pass a fixed source).</summary>
    public IkeProbe(ProbeOptions options, Func<int, byte[]> random)
    {
        _options = options;
        _random = random;
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(options.Proposals ?? (options.Ikev1 ? DefaultIkev1Proposals : DefaultProposals), ProposalKind.Ike);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _proposals = proposals;
        _spi = BinaryPrimitives.ReadUInt64BigEndian(random(8)) | 1; // never zero: a zero SPIi is invalid
        _group = proposals.SelectMany(p => p.KeyExchange).First();
        _nonce = random(32);
    }

    /// <summary>Our SPI (IKEv2) or cookie (IKEv1).</summary>
    public ulong InitiatorSpi => _spi;

    /// <summary>The non-ESP marker before IKE on port 4500 (RFC 3948 §2.2).</summary>
    private bool NatTPort => _options.Target.Port == 4500;

    /// <summary>The first request.</summary>
    public byte[] Start() => Build();

    /// <summary>The same request again (a retransmission: the host's timer ran out).</summary>
    public byte[] Retransmit()
    {
        _sent++;
        return _request;
    }

    /// <summary>The host gave up waiting.</summary>
    public ProbeResult NoAnswer() => Result(ProbeOutcome.NoAnswer);

    /// <summary>ICMP port unreachable came back for our request.</summary>
    public ProbeResult Closed() => Result(ProbeOutcome.Closed);

    /// <summary>A datagram from the responder's address and port.</summary>
    public ProbeStep Handle(ReadOnlySpan<byte> datagram)
    {
        if (NatTPort)
        {
            if (datagram.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(datagram) != 0) return ProbeStep.Ignore; // ESP or a keepalive
            datagram = datagram[4..];
        }
        return _options.Ikev1 ? HandleV1(datagram) : HandleV2(datagram);
    }

    private ProbeResult Result(ProbeOutcome outcome) => new()
    {
        Target = _options.Target, IkeVersion = _options.Ikev1 ? 1 : 2, Outcome = outcome, RequestsSent = _sent,
        RequestedGroup = _requestedGroup, CookieRequested = _cookie is not null,
    };

    private byte[] Build()
    {
        _sent++;
        byte[] message = _options.Ikev1 ? BuildV1() : BuildV2();
        if (NatTPort)
        {
            var marked = new byte[4 + message.Length];
            message.CopyTo(marked, 4);
            message = marked;
        }
        _request = message;
        return message;
    }

    // ---- IKEv2 ----

    private byte[] BuildV2()
    {
        using IKeyExchange ke = _group.CreateInitiator();
        var payloads = new List<Payload>();
        if (_cookie is not null) payloads.Add(new NotifyPayload(NotifyType.Cookie, _cookie)); // first, as §2.6 says
        payloads.Add(new V2Sa(ProposalMatcher.ToWire(_proposals, ProtocolId.Ike, [])));
        payloads.Add(new Ikev2.Wire.KePayload(_group.Id, ke.PublicValue));
        payloads.Add(new Ikev2.Wire.NoncePayload(_nonce));
        payloads.Add(new NotifyPayload(NotifyType.NatDetectionSourceIp, NatDetection.Hash(_spi, 0, _options.Local)));
        payloads.Add(new NotifyPayload(NotifyType.NatDetectionDestinationIp, NatDetection.Hash(_spi, 0, _options.Target)));
        var header = new IkeHeader(_spi, 0, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.IkeSaInit, IkeHeaderFlags.Initiator, 0, 0);
        return new IkeMessage(header, payloads).Encode(null);
    }

    private ProbeStep HandleV2(ReadOnlySpan<byte> datagram)
    {
        if (!IkeHeader.TryParse(datagram, out IkeHeader header, out ParseError error))
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = error.ToString() });
        if (header.InitiatorSpi != _spi || !header.IsResponse) return ProbeStep.Ignore;
        if (header.MajorVersion != 2 || header.ExchangeType != ExchangeType.IkeSaInit)
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = $"IKE version {header.MajorVersion}, exchange {header.ExchangeType}" });
        MessageError status = IkeMessage.TryDecode(datagram, header, null, out IkeMessage? message, out error, out _);
        if (status != MessageError.None) return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = error.ToString() });

        IReadOnlyList<string> vendorIds = message!.Payloads.OfType<V2VendorId>().Select(v => VendorName(v.Data)).ToList();
        if (message.Notify(NotifyType.Cookie) is { } cookie && _cookie is null)
        {
            _cookie = cookie.Data.ToArray();
            return ProbeStep.Resend(Build());
        }
        if (message.Notify(NotifyType.InvalidKePayload) is { } invalidKe && _requestedGroup is null)
        {
            ushort wanted = invalidKe.Data.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(invalidKe.Data) : (ushort)0;
            TransformRegistry.TryGet(TransformType.KeyExchange, wanted, 0, out Transform? t);
            _requestedGroup = t?.Keyword ?? $"group {wanted}";
            if (t is not KeyExchangeTransform group || !_proposals.Any(p => p.KeyExchange.Contains(group)))
                return ProbeStep.Done(Result(ProbeOutcome.Notify) with { NotifyName = $"INVALID_KE_PAYLOAD ({_requestedGroup}, not in our offer)", VendorIds = vendorIds });
            _group = group;
            return ProbeStep.Resend(Build());
        }
        if (message.ErrorNotify is { } notify)
            return ProbeStep.Done(Result(ProbeOutcome.Notify) with { NotifyName = notify.NotifyType.RfcName(), VendorIds = vendorIds });
        if (message.Get<V2Sa>() is not { } sa || sa.Proposals.Count != 1)
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = "IKE_SA_INIT response without one chosen proposal", VendorIds = vendorIds });

        // NAT detection (RFC 7296 §2.23): the responder hashed our address as it saw it, and its own.
        bool? localNat = null, remoteNat = null;
        if (message.Notify(NotifyType.NatDetectionDestinationIp) is { } dst)
            localNat = !dst.Data.SequenceEqual(NatDetection.Hash(_spi, header.ResponderSpi, _options.Local));
        var sources = message.Payloads.OfType<NotifyPayload>().Where(n => n.NotifyType == NotifyType.NatDetectionSourceIp).ToList();
        if (sources.Count > 0)
        {
            byte[] expected = NatDetection.Hash(_spi, header.ResponderSpi, _options.Target);
            remoteNat = !sources.Any(s => s.Data.SequenceEqual(expected));
        }
        return ProbeStep.Done(Result(ProbeOutcome.ProposalChosen) with
        {
            ChosenProposal = Describe(sa.Proposals[0]), LocalBehindNat = localNat, RemoteBehindNat = remoteNat, VendorIds = vendorIds,
        });
    }

    /// <summary>A chosen IKEv2 proposal in strongSwan's notation, transforms the registry lacks by number.</summary>
    internal static string Describe(WireProposal proposal) => string.Join('-', proposal.Transforms
        .Where(t => !(t.Type == TransformType.ExtendedSequenceNumbers && t.Id == 0))
        .Select(t => TransformRegistry.TryGet(t.Type, t.Id, t.KeyBits, out Transform? known) && known is not null
            ? known.Keyword
            : $"{t.Type}:{t.Id}{(t.KeyBits != 0 ? $"/{t.KeyBits}" : "")}"));

    // ---- IKEv1 ----

    private byte[] BuildV1()
    {
        // Pre-shared key and RSA signature variants of every choice, so a certificate-only responder answers too.
        List<Phase1Choice> choices = Ikev1Proposals.Phase1(_proposals);
        var transforms = new List<TransformPayload>();
        foreach (Ikev1.Wire.AuthenticationMethod method in (Ikev1.Wire.AuthenticationMethod[])[Ikev1.Wire.AuthenticationMethod.PreSharedKey, Ikev1.Wire.AuthenticationMethod.RsaSignatures])
            foreach (TransformPayload t in Ikev1Proposals.Phase1Sa(choices, method, TimeSpan.FromHours(8)).Proposals[0].Transforms)
                transforms.Add(new TransformPayload((byte)(transforms.Count + 1), t.TransformId, t.Attributes));
        var payloads = new List<IsakmpPayload> { new V1Sa([new ProposalPayload(1, IsakmpProtocolId.Isakmp, [], transforms)]) };
        payloads.AddRange(s_ikev1VendorIds.Select(v => (IsakmpPayload)new V1VendorId(v)));
        var header = new IsakmpHeader(_spi, 0, IsakmpPayloadType.None, IsakmpHeader.Version10, IsakmpExchangeType.IdentityProtection, IsakmpFlags.None, 0, 0);
        return IsakmpMessage.Encode(header, payloads);
    }

    private ProbeStep HandleV1(ReadOnlySpan<byte> datagram)
    {
        if (!IsakmpHeader.TryParse(datagram, out IsakmpHeader header, out ParseError error))
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = error.ToString() });
        if (header.InitiatorCookie != _spi) return ProbeStep.Ignore;
        if (header.IsEncrypted)
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = "an encrypted answer to Main Mode message 1" });
        if (!IsakmpMessage.TryDecode(datagram, header, null, [], out IsakmpMessage? message, out _, out error))
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = error.ToString() });
        IReadOnlyList<string> vendorIds = message!.All<V1VendorId>().Select(v => VendorName(v.Data)).ToList();
        if (message.All<NotificationPayload>().FirstOrDefault(n => n.NotifyType.IsError()) is { } notify)
            return ProbeStep.Done(Result(ProbeOutcome.Notify) with { NotifyName = notify.NotifyType.RfcName(), VendorIds = vendorIds });
        if (message.Get<V1Sa>() is not { } sa || sa.Proposals.Count != 1 || sa.Proposals[0].Transforms.Count != 1)
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = "Main Mode message 2 without one chosen transform", VendorIds = vendorIds });
        TransformPayload chosen = sa.Proposals[0].Transforms[0];
        if (!Ikev1Proposals.TryDecodePhase1(chosen, out Phase1Offer? offer, out string problem))
            return ProbeStep.Done(Result(ProbeOutcome.Malformed) with { Problem = $"chosen transform: {problem}", VendorIds = vendorIds });
        return ProbeStep.Done(Result(ProbeOutcome.ProposalChosen) with
        {
            ChosenProposal = $"{offer!.Encryption.Keyword}-{offer.Prf.Keyword["prf".Length..]}-{offer.Group.Keyword}",
            AuthenticationMethod = Ikev1Proposals.MethodName(offer.Method),
            VendorIds = vendorIds,
        });
    }

    /// <summary>A Vendor ID's known name, else its hex.</summary>
    internal static string VendorName(ReadOnlySpan<byte> data) =>
        VendorIds.Name(data) is { } name ? $"{name} ({Convert.ToHexString(data).ToLowerInvariant()})" : Convert.ToHexString(data).ToLowerInvariant();
}
