using System.Numerics;

namespace Portcullis.Core.Esp;

/// <summary>
/// The receiver's anti-replay window (RFC 4303 §3.4.3), kept as a ring of 64-bit blocks as in RFC 6479 so sliding
/// the window clears whole blocks instead of shifting bits. Two steps: <see cref="Check"/> before the ICV is
/// verified, <see cref="Commit"/> only after, so a forged packet cannot move the window. No allocation after
/// construction; not thread-safe (one instance per inbound SA and pipeline).
/// </summary>
public sealed class ReplayWindow
{
    /// <summary>The window size used when the configuration names none.</summary>
    public const int DefaultSize = 1024;

    /// <summary>The largest window accepted (2^20 packets, a 128 KiB bitmap).</summary>
    public const int MaxSize = 1 << 20;

    private readonly ulong[] _bitmap;
    private readonly int _blockMask;
    private ulong _highest;

    /// <summary>A window accepting sequence numbers up to <paramref name="size"/> below the highest one seen.</summary>
    public ReplayWindow(int size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);
        Size = size;
        // One block more than the window needs, so the block being filled never aliases the oldest one still in
        // the window; a power of two so the ring index is a mask.
        int blocks = (int)BitOperations.RoundUpToPowerOf2((uint)((size + 63) / 64 + 1));
        _bitmap = new ulong[blocks];
        _blockMask = blocks - 1;
    }

    /// <summary>How many sequence numbers, ending at <see cref="Highest"/>, the window tracks.</summary>
    public int Size { get; }

    /// <summary>The highest sequence number committed so far (0 before the first).</summary>
    public ulong Highest => _highest;

    /// <summary>
    /// False when <paramref name="sequence"/> is 0, left of the window, or already committed; true when a packet
    /// carrying it may be verified. Does not change the window.
    /// </summary>
    public bool Check(ulong sequence)
    {
        if (sequence == 0) return false;
        if (sequence > _highest) return true;
        if (_highest - sequence >= (ulong)Size) return false;
        return (_bitmap[BlockOf(sequence)] & BitOf(sequence)) == 0;
    }

    /// <summary>
    /// The full 64-bit sequence number of a packet that carried only its low 32 bits, <paramref name="low"/>, under
    /// extended sequence numbers (RFC 4303 Appendix A2.1, RFC 4302 §3.4.3): the high 32 bits are those of
    /// <see cref="Highest"/>, one more when the low bits lie below the window (the counter wrapped), one less when the
    /// window straddles a wrap and the low bits lie in its older half. The guess is checked by the ICV, which covers
    /// the high bits, and by <see cref="Check"/>; before anything was received there is no older subspace.
    /// </summary>
    public ulong InferExtended(uint low)
    {
        uint tl = (uint)_highest, th = (uint)(_highest >> 32);
        uint bottom = unchecked(tl - (uint)Size + 1); // the window's lowest low-order value, mod 2^32
        uint high;
        if (tl >= (uint)Size - 1)
            high = low >= bottom ? th : unchecked(th + 1); // window within one subspace (Case A)
        else
            high = low >= bottom && th > 0 ? th - 1 : th; // window spans two subspaces (Case B)
        return ((ulong)high << 32) | low;
    }

    /// <summary>
    /// Marks <paramref name="sequence"/> as received, sliding the window when it is the new highest. Call only after
    /// the packet's ICV verified. Returns false (and changes nothing) when <see cref="Check"/> would now reject it.
    /// </summary>
    public bool Commit(ulong sequence)
    {
        if (!Check(sequence)) return false;
        if (sequence > _highest)
        {
            ulong currentBlock = _highest >> 6, newBlock = sequence >> 6;
            ulong clear = Math.Min(newBlock - currentBlock, (ulong)_bitmap.Length);
            for (ulong i = 1; i <= clear; i++)
                _bitmap[(int)((currentBlock + i) & (ulong)_blockMask)] = 0;
            _highest = sequence;
        }
        _bitmap[BlockOf(sequence)] |= BitOf(sequence);
        return true;
    }

    private int BlockOf(ulong sequence) => (int)((sequence >> 6) & (ulong)_blockMask);

    private static ulong BitOf(ulong sequence) => 1UL << (int)(sequence & 63);
}
