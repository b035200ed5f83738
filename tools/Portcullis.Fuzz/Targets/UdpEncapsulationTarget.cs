using Portcullis.Core.Esp;

namespace Portcullis.Fuzz.Targets;

/// <summary>
/// <c>udp-4500</c>: a datagram on the NAT-T port as the host receives it. <see cref="UdpEncapsulation.Classify"/>
/// sorts it; ESP goes on as in the data plane (the SAD by SPI, then <see cref="EspProcessor.Decapsulate"/> with the
/// <c>esp</c> target's SAs and properties), IKE into the IKEv2 and ISAKMP parsers. Properties: the payload lies inside
/// the datagram (IKE exactly behind the marker, ESP whole), an unknown SPI is counted, and nothing forged is delivered.
/// </summary>
internal sealed class UdpEncapsulationTarget : IFuzzTarget, ISeedAware
{
    private readonly EspTarget _esp = new();
    private readonly Ikev2MessageTarget _ikev2 = new();
    private readonly Ikev1MessageTarget _ikev1 = new();

    public void AddSeed(byte[] seed)
    {
        if (UdpEncapsulation.Classify(seed, out _) == UdpEncapsulatedKind.Esp) _esp.AddSeed(seed);
    }

    public void Run(byte[] input, FuzzContext context)
    {
        UdpEncapsulatedKind kind = UdpEncapsulation.Classify(input, out ReadOnlySpan<byte> payload);
        context.Feature($"kind:{kind}");
        switch (kind)
        {
            case UdpEncapsulatedKind.Ike:
                FuzzContext.Check(payload.Length == input.Length - UdpEncapsulation.NonEspMarkerLength && payload.SequenceEqual(input.AsSpan(UdpEncapsulation.NonEspMarkerLength)),
                    "IKE on port 4500 is not the datagram behind the marker");
                byte[] ike = payload.ToArray();
                // Both versions share the port: the parsers decide from the header's version field.
                if (ike.Length > 17 && ike[17] >> 4 == 1) _ikev1.Run(ike, context);
                else _ikev2.Run(ike, context);
                break;
            case UdpEncapsulatedKind.Esp:
            {
                FuzzContext.Check(payload.Length == input.Length && payload.Length >= UdpEncapsulation.EspHeaderLength, "ESP on port 4500 is not the whole datagram");
                _esp.Renew();
                EspSa? sa = _esp.Lookup(payload);
                if (sa is null)
                {
                    context.Feature("esp:unknown spi");
                    break;
                }
                _esp.Decapsulate(sa, input, context);
                break;
            }
            default:
                FuzzContext.Check(payload.IsEmpty, $"a {kind} datagram has a payload");
                break;
        }
    }
}
