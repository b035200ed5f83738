namespace Portcullis.Core.Esp;

/// <summary>
/// The outbound SPD (RFC 4301 §4.4.1): an ordered list of <see cref="SecurityPolicy"/> entries, searched first to
/// last. Lookups read an immutable snapshot without locking and allocate nothing; changes copy the list under a
/// lock.
/// </summary>
public sealed class SecurityPolicyDatabase
{
    private readonly Lock _writeLock = new();
    private SecurityPolicy[] _policies = [];
    private long _noPolicy;

    /// <summary>The entries, in search order (a snapshot).</summary>
    public IReadOnlyList<SecurityPolicy> Policies => Volatile.Read(ref _policies);

    /// <summary>Packets that matched no entry or could not be parsed (counted by <see cref="Lookup"/>).</summary>
    public long NoPolicyDrops => Volatile.Read(ref _noPolicy);

    /// <summary>Appends an entry (searched after the existing ones).</summary>
    public void Add(SecurityPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_writeLock) Volatile.Write(ref _policies, [.. _policies, policy]);
    }

    /// <summary>Removes an entry; false when it was not there.</summary>
    public bool Remove(SecurityPolicy policy)
    {
        lock (_writeLock)
        {
            int index = Array.IndexOf(_policies, policy);
            if (index < 0) return false;
            SecurityPolicy[] next = [.. _policies.AsSpan(0, index), .. _policies.AsSpan(index + 1)];
            Volatile.Write(ref _policies, next);
            return true;
        }
    }

    /// <summary>
    /// The first entry covering an outbound IPv4 or IPv6 packet (source, destination, protocol, ports), or null,
    /// counted in <see cref="NoPolicyDrops"/>, when none does or the packet cannot be parsed.
    /// </summary>
    public SecurityPolicy? Lookup(ReadOnlySpan<byte> ipPacket)
    {
        if (PacketSelectors.TryParse(ipPacket, out PacketSelectors packet))
        {
            foreach (SecurityPolicy policy in Volatile.Read(ref _policies))
                if (policy.Matches(packet)) return policy;
        }
        Interlocked.Increment(ref _noPolicy);
        return null;
    }
}
