using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Security Association payload (RFC 2408 §3.4, RFC 2407 §4.6.1) of the IPsec DOI with SIT_IDENTITY_ONLY:
/// <code>
///  Domain of Interpretation (4) | Situation (4) | Proposal payloads
/// </code>
/// A parsed SA payload writes back the exact bytes it was read from: its body is SAi_b in HASH_I and HASH_R.
/// </summary>
public sealed class SaPayload : IsakmpPayload
{
    /// <summary>The IPsec DOI (RFC 2407 §4.2).</summary>
    public const uint IpsecDoi = 1;

    /// <summary>SIT_IDENTITY_ONLY (RFC 2407 §4.2.1).</summary>
    public const uint SituationIdentityOnly = 1;

    private readonly byte[]? _raw;

    /// <summary>An SA payload of the IPsec DOI with SIT_IDENTITY_ONLY.</summary>
    public SaPayload(IReadOnlyList<ProposalPayload> proposals) => Proposals = proposals;

    private SaPayload(IReadOnlyList<ProposalPayload> proposals, byte[] raw) : this(proposals) => _raw = raw;

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.SecurityAssociation;

    /// <summary>The proposals.</summary>
    public IReadOnlyList<ProposalPayload> Proposals { get; }

    /// <inheritdoc />
    public override int BodyLength => _raw?.Length ?? 8 + Proposals.Sum(p => p.Length);

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        if (_raw is not null)
        {
            _raw.CopyTo(destination);
            return;
        }
        BinaryPrimitives.WriteUInt32BigEndian(destination, IpsecDoi);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], SituationIdentityOnly);
        int offset = 8;
        for (int i = 0; i < Proposals.Count; i++) offset += Proposals[i].Write(destination[offset..], i + 1 == Proposals.Count);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out SaPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 8) { error = new("Domain of Interpretation", $"SA body of {body.Length} bytes"); return false; }
        uint doi = BinaryPrimitives.ReadUInt32BigEndian(body);
        if (doi != IpsecDoi) { error = new("Domain of Interpretation", $"{doi}, only the IPsec DOI (1) is supported"); return false; }
        uint situation = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        if (situation != SituationIdentityOnly) { error = new("Situation", $"0x{situation:x8}, only SIT_IDENTITY_ONLY is supported"); return false; }
        var proposals = new List<ProposalPayload>();
        int offset = 8;
        bool last = false;
        while (!last)
        {
            if (!ProposalPayload.TryParse(body[offset..], out ProposalPayload? p, out last, out int length, out error)) return false;
            proposals.Add(p!);
            offset += length;
        }
        if (offset != body.Length) { error = new("Payload Length", $"{body.Length - offset} bytes after the last proposal"); return false; }
        payload = new SaPayload(proposals, body.ToArray());
        return true;
    }
}
