using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.IkeFlood;

/// <summary>
/// Valid-looking IKE_SA_INIT requests (RFC 7296 §1.2): SA with the given proposal, KE, Nonce and both NAT-D notifies,
/// each with a fresh SPIi and nonce, made with Portcullis.Core's own encoders. The KE data is one genuine public
/// value of the proposal's group, made once and reused, so a responder accepts it and does the whole key exchange
/// (the expensive case the cookies are there for); <c>--random-ke</c> sends random bytes of the right length instead.
/// </summary>
internal sealed class InitRequestFactory
{
    private readonly SaPayload _sa;
    private readonly KePayload _ke;
    private readonly IPEndPoint _target;

    public InitRequestFactory(string proposal, IPEndPoint target, bool randomKe)
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(proposal, ProposalKind.Ike);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
        Proposal first = proposals[0];
        if (!first.KeyExchange.Any()) throw new ArgumentException($"proposal '{proposal}' has no key exchange method");
        _sa = new SaPayload(ProposalMatcher.ToWire(proposals, ProtocolId.Ike, []));
        KeyExchangeTransform group = first.KeyExchange.First();
        byte[] value;
        if (randomKe)
        {
            value = RandomNumberGenerator.GetBytes(group.InitiatorValueSize);
        }
        else
        {
            using IKeyExchange exchange = group.CreateInitiator();
            value = exchange.PublicValue.ToArray();
        }
        _ke = new KePayload(group.Id, value);
        _target = target;
    }

    /// <summary>One request from <paramref name="source"/>, with a fresh SPIi and nonce.</summary>
    public byte[] Create(IPEndPoint source)
    {
        Span<byte> spi = stackalloc byte[8];
        ulong spiI;
        do { RandomNumberGenerator.Fill(spi); spiI = BinaryPrimitives.ReadUInt64BigEndian(spi); } while (spiI == 0);
        var header = new IkeHeader(spiI, 0, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.IkeSaInit, IkeHeaderFlags.Initiator, 0, 0);
        Payload[] payloads =
        [
            _sa,
            _ke,
            new NoncePayload(RandomNumberGenerator.GetBytes(32)),
            new NotifyPayload(NotifyType.NatDetectionSourceIp, NatDetection.Hash(spiI, 0, source)),
            new NotifyPayload(NotifyType.NatDetectionDestinationIp, NatDetection.Hash(spiI, 0, _target)),
        ];
        return new IkeMessage(header, payloads).Encode(null);
    }
}
