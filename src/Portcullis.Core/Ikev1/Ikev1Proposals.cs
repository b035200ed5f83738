using Portcullis.Core.Config;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using ProtocolId = Portcullis.Core.Ikev2.Wire.ProtocolId;
using Portcullis.Core.Ipsec;
using ParseError = Portcullis.Core.Ikev2.Wire.ParseError;

namespace Portcullis.Core.Ikev1;

/// <summary>One ISAKMP SA transform: IKEv1 has one algorithm of each kind per transform, so proposals are expanded.</summary>
internal sealed record Phase1Choice(EncryptionTransform Encryption, IntegrityTransform? Integrity, PrfTransform Prf, KeyExchangeTransform Group)
{
    /// <summary>As list-sas and the logs show it (strongSwan's notation).</summary>
    public NegotiatedProposal ToNegotiated() => new() { Protocol = ProtocolId.Ike, Encryption = Encryption, Integrity = Integrity, Prf = Prf, KeyExchange = Group };

    public override string ToString() => ToNegotiated().ToString();
}

/// <summary>What a phase 1 transform offers, decoded.</summary>
internal sealed record Phase1Offer(EncryptionTransform Encryption, PrfTransform Prf, KeyExchangeTransform Group, AuthenticationMethod Method, ulong? LifeSeconds, ulong? LifeKilobytes);

/// <summary>
/// One Quick Mode transform: an ESP cipher, its integrity algorithm (none with an AEAD), the PFS group if any, and
/// extended sequence numbers (RFC 4304); for AH (PROTO_IPSEC_AH) no cipher, only the integrity algorithm.
/// </summary>
internal sealed record Phase2Choice(EncryptionTransform? Encryption, IntegrityTransform? Integrity, KeyExchangeTransform? Group, bool Esn = false)
{
    /// <summary>An AH transform (RFC 2407 §4.4.3): integrity only.</summary>
    public bool IsAh => Encryption is null;

    /// <summary>The Protocol-Id of its proposal.</summary>
    public IsakmpProtocolId Protocol => IsAh ? IsakmpProtocolId.IpsecAh : IsakmpProtocolId.IpsecEsp;

    /// <summary>The Transform-Id: the ESP transform ID of the cipher, or the AH transform ID of the integrity algorithm.</summary>
    public byte TransformId => (byte)(Encryption is not null ? Encryption.Ikev1Phase2Id!.Value : Integrity!.Ikev1AhId!.Value);

    public NegotiatedProposal ToNegotiated(byte number, byte[] spi) =>
        new()
        {
            Protocol = IsAh ? ProtocolId.Ah : ProtocolId.Esp, Number = number, Spi = spi, Encryption = Encryption, Integrity = Integrity, KeyExchange = Group,
            Esn = Esn ? TransformRegistry.Get<EsnTransform>("esn") : null,
        };

    public override string ToString() => ToNegotiated(0, []).ToString();
}

/// <summary>What a Quick Mode transform offers, decoded (no cipher for AH).</summary>
internal sealed record Phase2Offer(EncryptionTransform? Encryption, IntegrityTransform? Integrity, KeyExchangeTransform? Group, EncapsulationMode Mode,
    ulong? LifeSeconds, ulong? LifeKilobytes, bool Esn = false)
{
    /// <summary>The configured transform this offer is.</summary>
    public bool Is(Phase2Choice c) => Encryption == c.Encryption && Integrity == c.Integrity && Group == c.Group && Esn == c.Esn;
}

/// <summary>The transform a responder selected, with the proposal it came in.</summary>
internal sealed record Phase2Match(Phase2Choice Choice, Phase2Offer Offer, ProposalPayload Proposal, TransformPayload Transform);

/// <summary>
/// IKEv1 proposals from the configured strongSwan proposal strings, and their selection (RFC 2409 §5, RFC 2407 §4.5).
/// A configured proposal lists alternatives per algorithm kind; IKEv1 transforms carry one of each, so every
/// combination becomes one transform, in the configured order. The names and numbers come from the transform
/// registry.
/// </summary>
internal static class Ikev1Proposals
{
    /// <summary>The ISAKMP SA transforms of configured IKE proposals (AEADs and algorithms without an IKEv1 number are left out).</summary>
    public static List<Phase1Choice> Phase1(IReadOnlyList<Proposal> proposals)
    {
        var list = new List<Phase1Choice>();
        foreach (Proposal p in proposals)
            foreach (EncryptionTransform enc in p.Encryption.Where(e => e.Ikev1Phase1Id is not null && !e.IsAead))
                foreach (PrfTransform prf in p.Prf.Where(x => x.Ikev1Phase1Id is not null && x.Hash is not null))
                    foreach (KeyExchangeTransform group in p.KeyExchange.Where(g => g.Ikev1Phase1Id is not null))
                    {
                        IntegrityTransform? integ = p.Integrity.FirstOrDefault(i => i.Keyword == prf.Keyword["prf".Length..]);
                        var choice = new Phase1Choice(enc, integ, prf, group);
                        if (!list.Contains(choice)) list.Add(choice);
                    }
        return list;
    }

    /// <summary>The initiator's SA payload: one ISAKMP proposal with every choice as a transform.</summary>
    public static SaPayload Phase1Sa(IReadOnlyList<Phase1Choice> choices, AuthenticationMethod method, TimeSpan lifetime)
    {
        var transforms = new List<TransformPayload>();
        for (int i = 0; i < choices.Count; i++)
        {
            Phase1Choice c = choices[i];
            var attributes = new List<DataAttribute> { DataAttribute.Basic((ushort)IkeAttributeType.EncryptionAlgorithm, c.Encryption.Ikev1Phase1Id!.Value) };
            if (c.Encryption is { KeyBits: not 0 }) attributes.Add(DataAttribute.Basic((ushort)IkeAttributeType.KeyLength, (ushort)c.Encryption.KeyBits));
            attributes.Add(DataAttribute.Basic((ushort)IkeAttributeType.HashAlgorithm, c.Prf.Ikev1Phase1Id!.Value));
            attributes.Add(DataAttribute.Basic((ushort)IkeAttributeType.GroupDescription, c.Group.Ikev1Phase1Id!.Value));
            attributes.Add(DataAttribute.Basic((ushort)IkeAttributeType.AuthenticationMethod, (ushort)method));
            if (lifetime > TimeSpan.Zero)
            {
                attributes.Add(DataAttribute.Basic((ushort)IkeAttributeType.LifeType, (ushort)LifeType.Seconds));
                attributes.Add(DataAttribute.Number((ushort)IkeAttributeType.LifeDuration, (ulong)lifetime.TotalSeconds));
            }
            transforms.Add(new TransformPayload((byte)(i + 1), TransformPayload.KeyIke, attributes));
        }
        return new SaPayload([new ProposalPayload(1, IsakmpProtocolId.Isakmp, [], transforms)]);
    }

    /// <summary>Decodes a phase 1 transform; false with the reason when it has an unknown algorithm or attribute.</summary>
    public static bool TryDecodePhase1(TransformPayload t, out Phase1Offer? offer, out string problem)
    {
        offer = null;
        problem = "";
        if (t.TransformId != TransformPayload.KeyIke) { problem = $"Transform-Id {t.TransformId} is not KEY_IKE"; return false; }
        ushort? encId = null, hashId = null, groupId = null, method = null;
        int keyBits = 0;
        ulong? seconds = null, kilobytes = null;
        LifeType? lifeType = null;
        foreach (DataAttribute a in t.Attributes)
        {
            ulong? v = a.NumericValue;
            switch ((IkeAttributeType)a.Type)
            {
                case IkeAttributeType.EncryptionAlgorithm when a.IsBasic: encId = a.BasicValue; break;
                case IkeAttributeType.HashAlgorithm when a.IsBasic: hashId = a.BasicValue; break;
                case IkeAttributeType.GroupDescription when a.IsBasic: groupId = a.BasicValue; break;
                case IkeAttributeType.AuthenticationMethod when a.IsBasic: method = a.BasicValue; break;
                case IkeAttributeType.KeyLength when a.IsBasic: keyBits = a.BasicValue; break;
                case IkeAttributeType.LifeType when a.IsBasic: lifeType = (LifeType)a.BasicValue; break;
                case IkeAttributeType.LifeDuration when v is not null:
                    if (lifeType == LifeType.Seconds) seconds = v;
                    else if (lifeType == LifeType.Kilobytes) kilobytes = v;
                    else { problem = "Life Duration without a known Life Type"; return false; }
                    break;
                default:
                    problem = $"attribute {a.Type} not supported";
                    return false;
            }
        }
        if (encId is null || hashId is null || groupId is null || method is null) { problem = "Encryption Algorithm, Hash Algorithm, Group Description or Authentication Method missing"; return false; }
        EncryptionTransform? enc = TransformRegistry.Ikev1Phase1Encryption(encId.Value, keyBits);
        PrfTransform? prf = TransformRegistry.Ikev1HashAlgorithm(hashId.Value);
        KeyExchangeTransform? group = TransformRegistry.Ikev1Group(groupId.Value);
        if (enc is null || prf is null || group is null)
        {
            problem = $"unknown {(enc is null ? $"Encryption Algorithm {encId}/{keyBits}" : prf is null ? $"Hash Algorithm {hashId}" : $"Group Description {groupId}")}";
            return false;
        }
        offer = new Phase1Offer(enc, prf, group, (AuthenticationMethod)method.Value, seconds, kilobytes);
        return true;
    }

    /// <summary>
    /// The responder's selection: the first configured choice (in configured order) that a received transform
    /// offers with <paramref name="method"/>; null when none does.
    /// </summary>
    public static (Phase1Choice Choice, Phase1Offer Offer, TransformPayload Transform)? SelectPhase1(IReadOnlyList<Phase1Choice> ours, SaPayload received, AuthenticationMethod method)
    {
        var offers = new List<(Phase1Offer, TransformPayload)>();
        foreach (ProposalPayload p in received.Proposals.Where(p => p.Protocol == IsakmpProtocolId.Isakmp))
            foreach (TransformPayload t in p.Transforms)
                if (TryDecodePhase1(t, out Phase1Offer? offer, out _) && offer!.Method == method) offers.Add((offer, t));
        foreach (Phase1Choice c in ours)
            foreach ((Phase1Offer o, TransformPayload t) in offers)
                if (o.Encryption == c.Encryption && o.Prf == c.Prf && o.Group == c.Group) return (c, o, t);
        return null;
    }

    /// <summary>The received phase 1 transforms in strongSwan's notation, for logs.</summary>
    public static string DescribePhase1(SaPayload sa) => string.Join(", ", sa.Proposals.SelectMany(p => p.Transforms).Select(t =>
        TryDecodePhase1(t, out Phase1Offer? o, out string problem)
            ? $"{o!.Encryption.Keyword}-{o.Prf.Keyword["prf".Length..]}-{o.Group.Keyword}{(o.Method == AuthenticationMethod.PreSharedKey ? "" : $" ({MethodName(o.Method)})")}"
            : $"#{t.Number} ({problem})"));

    /// <summary>Configured choices in strongSwan's notation, for logs.</summary>
    public static string Describe<T>(IEnumerable<T> choices) => string.Join(", ", choices.Select(c => c!.ToString()));

    /// <summary>An authentication method's name, for logs.</summary>
    public static string MethodName(AuthenticationMethod m) => m switch
    {
        AuthenticationMethod.PreSharedKey => "pre-shared key",
        AuthenticationMethod.RsaSignatures => "RSA signatures",
        AuthenticationMethod.XauthInitPreShared => "pre-shared key and XAUTH of the initiator",
        AuthenticationMethod.XauthRespPreShared => "pre-shared key and XAUTH of the responder",
        AuthenticationMethod.XauthInitRsa => "RSA signatures and XAUTH of the initiator",
        AuthenticationMethod.XauthRespRsa => "RSA signatures and XAUTH of the responder",
        _ => $"method {(ushort)m}",
    };

    // --- Quick Mode ---

    /// <summary>The Quick Mode transforms of a child: AH when it has <c>ah_proposals</c>, otherwise ESP.</summary>
    public static List<List<Phase2Choice>> Phase2(ChildConfig child) => Phase2(child.ChildProposals, child.UsesAh);

    /// <summary>
    /// The ESP (or, with <paramref name="ah"/>, AH) transforms of a child's proposals, grouped by proposal. Only
    /// proposals with the same PFS group as the first (or all without one) are offered: the one KE payload of Quick
    /// Mode serves every transform.
    /// </summary>
    public static List<List<Phase2Choice>> Phase2(IReadOnlyList<Proposal> proposals, bool ah = false)
    {
        KeyExchangeTransform? pfs = proposals.SelectMany(p => p.KeyExchange).FirstOrDefault(g => g.Ikev1Phase1Id is not null);
        var result = new List<List<Phase2Choice>>();
        foreach (Proposal p in proposals)
        {
            KeyExchangeTransform? group = p.KeyExchange.FirstOrDefault(g => g == pfs);
            if (pfs is not null && group is null) continue;
            if (pfs is null && p.KeyExchange.Any()) continue;
            var list = new List<Phase2Choice>();
            // ESN (RFC 4304) as the proposal orders esn and noesn; none named: without.
            bool[] esns = p.Esn.Any() ? [.. p.Esn.Select(e => e.Id == 1)] : [false];
            if (ah)
            {
                foreach (IntegrityTransform integ in p.Integrity.Where(i => i.Ikev1AhId is not null && i.ForAh))
                    foreach (bool esn in esns)
                        list.Add(new Phase2Choice(null, integ, group, esn));
                if (list.Count > 0) result.Add(list);
                continue;
            }
            foreach (EncryptionTransform enc in p.Encryption.Where(e => e.Ikev1Phase2Id is not null))
                foreach (bool esn in esns)
                {
                    if (enc.IsAead) { list.Add(new Phase2Choice(enc, null, group, esn)); continue; }
                    foreach (IntegrityTransform integ in p.Integrity.Where(i => i.Ikev1Phase2Id is not null && i.ForEsp))
                        list.Add(new Phase2Choice(enc, integ, group, esn));
                }
            if (list.Count > 0) result.Add(list);
        }
        return result;
    }

    /// <summary>The SA attributes of one Quick Mode transform.</summary>
    public static List<DataAttribute> Phase2Attributes(Phase2Choice c, EncapsulationMode mode, TimeSpan lifetime, ulong lifeBytes)
    {
        var attributes = new List<DataAttribute>();
        if (lifetime > TimeSpan.Zero)
        {
            attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.SaLifeType, (ushort)LifeType.Seconds));
            attributes.Add(DataAttribute.Number((ushort)IpsecAttributeType.SaLifeDuration, (ulong)lifetime.TotalSeconds));
        }
        if (lifeBytes > 0)
        {
            attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.SaLifeType, (ushort)LifeType.Kilobytes));
            attributes.Add(DataAttribute.Number((ushort)IpsecAttributeType.SaLifeDuration, Math.Max(1, lifeBytes / 1024)));
        }
        if (c.Group is not null) attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.GroupDescription, c.Group.Ikev1Phase1Id!.Value));
        attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.EncapsulationMode, (ushort)mode));
        if (c.Integrity is not null) attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.AuthenticationAlgorithm, c.Integrity.Ikev1Phase2Id!.Value));
        if (c.Encryption is { KeyBits: not 0 }) attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.KeyLength, (ushort)c.Encryption.KeyBits));
        // Sent only for ESN: an implementation without RFC 4304 refuses an attribute it does not know.
        if (c.Esn) attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.ExtendedSequenceNumber, 1));
        return attributes;
    }

    /// <summary>The initiator's Quick Mode SA payload: one ESP (or AH) proposal per configured proposal, its combinations as transforms.</summary>
    public static SaPayload Phase2Sa(IReadOnlyList<List<Phase2Choice>> proposals, byte[] spi, EncapsulationMode mode, TimeSpan lifetime, ulong lifeBytes)
    {
        var list = new List<ProposalPayload>();
        for (int i = 0; i < proposals.Count; i++)
        {
            var transforms = new List<TransformPayload>();
            for (int j = 0; j < proposals[i].Count; j++)
                transforms.Add(new TransformPayload((byte)(j + 1), proposals[i][j].TransformId, Phase2Attributes(proposals[i][j], mode, lifetime, lifeBytes)));
            list.Add(new ProposalPayload((byte)(i + 1), proposals[i][0].Protocol, spi, transforms));
        }
        return new SaPayload(list);
    }

    /// <summary>
    /// Decodes an ESP transform (or, for <see cref="IsakmpProtocolId.IpsecAh"/>, an AH one); false with the reason
    /// when something in it is unknown.
    /// </summary>
    public static bool TryDecodePhase2(TransformPayload t, out Phase2Offer? offer, out string problem, IsakmpProtocolId protocol = IsakmpProtocolId.IpsecEsp)
    {
        offer = null;
        problem = "";
        ushort? auth = null, groupId = null, mode = null;
        bool esn = false;
        int keyBits = 0;
        ulong? seconds = null, kilobytes = null;
        LifeType? lifeType = null;
        foreach (DataAttribute a in t.Attributes)
        {
            ulong? v = a.NumericValue;
            switch ((IpsecAttributeType)a.Type)
            {
                case IpsecAttributeType.SaLifeType when a.IsBasic: lifeType = (LifeType)a.BasicValue; break;
                case IpsecAttributeType.SaLifeDuration when v is not null:
                    if (lifeType == LifeType.Seconds) seconds = v;
                    else if (lifeType == LifeType.Kilobytes) kilobytes = v;
                    else { problem = "SA Life Duration without a known SA Life Type"; return false; }
                    break;
                case IpsecAttributeType.GroupDescription when a.IsBasic: groupId = a.BasicValue; break;
                case IpsecAttributeType.EncapsulationMode when a.IsBasic: mode = a.BasicValue; break;
                case IpsecAttributeType.AuthenticationAlgorithm when a.IsBasic: auth = a.BasicValue; break;
                case IpsecAttributeType.KeyLength when a.IsBasic: keyBits = a.BasicValue; break;
                case IpsecAttributeType.ExtendedSequenceNumber when a.IsBasic && a.BasicValue == 1: esn = true; break;
                default:
                    problem = $"attribute {a.Type} not supported";
                    return false;
            }
        }
        KeyExchangeTransform? group = null;
        if (groupId is not null && (group = TransformRegistry.Ikev1Group(groupId.Value)) is null) { problem = $"unknown Group Description {groupId}"; return false; }
        var encapsulation = (EncapsulationMode)(mode ?? (ushort)EncapsulationMode.Tunnel);
        IntegrityTransform? integ = null;
        if (auth is not null && (integ = TransformRegistry.Ikev1AuthenticationAlgorithm(auth.Value)) is null) { problem = $"unknown Authentication Algorithm {auth}"; return false; }
        if (protocol == IsakmpProtocolId.IpsecAh)
        {
            // The AH transform ID names the algorithm; the Authentication Algorithm attribute, when sent, must agree
            // (RFC 2407 §4.4.3, §4.5).
            IntegrityTransform? byId = TransformRegistry.Ikev1AhTransform(t.TransformId);
            if (byId is null || !byId.ForAh) { problem = $"unknown AH transform {t.TransformId}"; return false; }
            if (integ is not null && integ != byId) { problem = $"AH transform {t.TransformId} with Authentication Algorithm {auth}"; return false; }
            if (keyBits != 0) { problem = "Key Length in an AH transform"; return false; }
            offer = new Phase2Offer(null, byId, group, encapsulation, seconds, kilobytes, esn);
            return true;
        }
        EncryptionTransform? enc = TransformRegistry.Ikev1EspTransform(t.TransformId, keyBits);
        if (enc is null) { problem = $"unknown ESP transform {t.TransformId}/{keyBits}"; return false; }
        if (integ is { ForEsp: false }) { problem = $"Authentication Algorithm {auth} is not for ESP"; return false; }
        if (enc.IsAead != (integ is null)) { problem = enc.IsAead ? $"{enc.Keyword} with an Authentication Algorithm" : $"{enc.Keyword} without an Authentication Algorithm"; return false; }
        offer = new Phase2Offer(enc, integ, group, encapsulation, seconds, kilobytes, esn);
        return true;
    }

    /// <summary>
    /// The responder's selection among the initiator's ESP (or AH, as <paramref name="ours"/> are) proposals: the
    /// first configured transform (configured order) that a received transform offers in the wanted mode (tunnel or
    /// transport, UDP-encapsulated or not). Bundles (several proposals under one number) are not supported and are
    /// skipped.
    /// </summary>
    public static Phase2Match? SelectPhase2(IReadOnlyList<List<Phase2Choice>> ours, SaPayload received, ChildMode mode)
    {
        IsakmpProtocolId protocol = ours.SelectMany(x => x).FirstOrDefault()?.Protocol ?? IsakmpProtocolId.IpsecEsp;
        var offers = new List<(Phase2Offer, ProposalPayload, TransformPayload)>();
        foreach (ProposalPayload p in received.Proposals)
        {
            if (p.Protocol != protocol || p.Spi.Length != 4) continue;
            if (received.Proposals.Count(q => q.Number == p.Number) > 1) continue;
            foreach (TransformPayload t in p.Transforms)
                if (TryDecodePhase2(t, out Phase2Offer? o, out _, protocol) && ModeOf(o!.Mode) == mode) offers.Add((o, p, t));
        }
        foreach (Phase2Choice c in ours.SelectMany(x => x))
            foreach ((Phase2Offer o, ProposalPayload p, TransformPayload t) in offers)
                if (o.Is(c)) return new Phase2Match(c, o, p, t);
        return null;
    }

    /// <summary>Tunnel or transport, whether UDP-encapsulated or not.</summary>
    public static ChildMode ModeOf(EncapsulationMode m) =>
        m is EncapsulationMode.Transport or EncapsulationMode.UdpEncapsulatedTransport or EncapsulationMode.DraftUdpEncapsulatedTransport ? ChildMode.Transport : ChildMode.Tunnel;

    /// <summary>The Encapsulation Mode for a child's mode, UDP-encapsulated when a NAT was detected (RFC 3947 §5.1).</summary>
    public static EncapsulationMode EncapsulationFor(ChildMode mode, bool udp) => (mode, udp) switch
    {
        (ChildMode.Tunnel, false) => EncapsulationMode.Tunnel,
        (ChildMode.Tunnel, true) => EncapsulationMode.UdpEncapsulatedTunnel,
        (ChildMode.Transport, false) => EncapsulationMode.Transport,
        _ => EncapsulationMode.UdpEncapsulatedTransport,
    };

    /// <summary>The received ESP and AH transforms in strongSwan's notation, each after its protocol, for logs.</summary>
    public static string DescribePhase2(SaPayload sa) => string.Join(", ", sa.Proposals.SelectMany(p => p.Transforms.Select(t =>
        TryDecodePhase2(t, out Phase2Offer? o, out string problem, p.Protocol)
            ? $"{(p.Protocol == IsakmpProtocolId.IpsecAh ? "AH" : "ESP")} {new Phase2Choice(o!.Encryption, o.Integrity, o.Group)} ({o.Mode})"
            : $"#{p.Number}.{t.Number} ({problem})")));
}
