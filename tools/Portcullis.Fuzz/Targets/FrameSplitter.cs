using System.Buffers.Binary;

namespace Portcullis.Fuzz.Targets;

/// <summary>
/// Inputs that are a conversation: datagrams or frames each behind a 16-bit big-endian length; a length running past
/// the end takes what is left.
/// </summary>
internal static class FrameSplitter
{
    public static List<byte[]> Split(byte[] input)
    {
        var frames = new List<byte[]>();
        for (int at = 0; at + 2 <= input.Length && frames.Count < 64;)
        {
            int len = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(at));
            at += 2;
            len = Math.Min(len, input.Length - at);
            frames.Add(input[at..(at + len)]);
            at += len;
        }
        return frames;
    }

    public static byte[] Join(IEnumerable<byte[]> frames)
    {
        var all = new List<byte>();
        foreach (byte[] f in frames)
        {
            all.Add((byte)(f.Length >> 8));
            all.Add((byte)f.Length);
            all.AddRange(f);
        }
        return [.. all];
    }
}
