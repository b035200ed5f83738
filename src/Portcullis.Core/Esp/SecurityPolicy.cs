using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Esp;

/// <summary>
/// One PROTECT entry of the SPD (RFC 4301 §4.4.1): outbound traffic from <see cref="Local"/> to
/// <see cref="Remote"/> goes through <see cref="OutboundSa"/>. The SA is swapped on rekey and is null while none
/// is established (the host then asks IKE for one); <see cref="Tag"/> is the host's, e.g. the peer's endpoint.
/// </summary>
public sealed class SecurityPolicy
{
    private IpsecSa? _outboundSa;

    /// <summary>A policy between the two sides' selectors.</summary>
    public SecurityPolicy(IEnumerable<TrafficSelector> local, IEnumerable<TrafficSelector> remote, IpsecSa? outboundSa = null, object? tag = null)
    {
        Local = new SelectorSet(local);
        Remote = new SelectorSet(remote);
        OutboundSa = outboundSa;
        Tag = tag;
    }

    /// <summary>The local side: sources of outbound packets.</summary>
    public SelectorSet Local { get; }

    /// <summary>The remote side: destinations of outbound packets.</summary>
    public SelectorSet Remote { get; }

    /// <summary>The ESP or AH SA outbound packets are encapsulated with; null when none is established.</summary>
    public IpsecSa? OutboundSa
    {
        get => Volatile.Read(ref _outboundSa);
        set
        {
            if (value is { IsInbound: true }) throw new ArgumentException("a policy sends through an outbound SA", nameof(value));
            Volatile.Write(ref _outboundSa, value);
        }
    }

    /// <summary>Opaque to the core: whatever the host needs to send (the peer's address and port, a socket…).</summary>
    public object? Tag { get; set; }

    /// <summary>True when the packet's source is in <see cref="Local"/> and its destination in <see cref="Remote"/>.</summary>
    public bool Matches(in PacketSelectors packet) => Local.MatchesSource(packet) && Remote.MatchesDestination(packet);
}
