using Portcullis.Core.Esp;

namespace Portcullis.Core.Tests.Esp;

public class ReplayWindowTests
{
    [Fact]
    public void Zero_is_never_accepted_and_the_first_packet_is()
    {
        var w = new ReplayWindow();
        Assert.Equal(1024, w.Size);
        Assert.False(w.Check(0));
        Assert.False(w.Commit(0));
        Assert.True(w.Check(1));
        Assert.True(w.Commit(1));
        Assert.False(w.Check(1));
        Assert.False(w.Commit(1));
    }

    [Fact]
    public void Check_alone_changes_nothing()
    {
        var w = new ReplayWindow(64);
        Assert.True(w.Check(1000));
        Assert.Equal(0UL, w.Highest);
        Assert.True(w.Check(5));
        Assert.True(w.Commit(5));
        Assert.True(w.Check(1000));
        Assert.Equal(5UL, w.Highest);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(1024)]
    [InlineData(4096)]
    public void Window_edges_are_exact(int size)
    {
        var w = new ReplayWindow(size);
        ulong top = 10_000, oldest = top - (ulong)size + 1;
        Assert.True(w.Commit(top));
        Assert.False(w.Check(oldest - 1));
        for (ulong s = oldest; s < top; s++) Assert.True(w.Check(s));
        for (ulong s = oldest; s < top; s++) Assert.True(w.Commit(s));
        for (ulong s = oldest - 1; s <= top; s++) Assert.False(w.Check(s));

        // Slide by one: the old oldest drops out, the next one is still acceptable.
        var fresh = new ReplayWindow(size);
        Assert.True(fresh.Commit(top));
        Assert.True(fresh.Commit(top + 1));
        Assert.False(fresh.Check(oldest));
        Assert.Equal(size > 2, fresh.Check(oldest + 1)); // for sizes 1 and 2 that is top or top + 1, both seen
    }

    [Fact]
    public void Matches_a_simple_model_under_random_traffic()
    {
        var random = new Random(6479);
        foreach (int size in (int[])[64, 100, 1024])
        {
            var w = new ReplayWindow(size);
            var seen = new HashSet<ulong>();
            ulong highest = 0;
            for (int i = 0; i < 50_000; i++)
            {
                // Mostly forward, with reordering, duplicates and the occasional big jump.
                ulong seq = random.Next(10) switch
                {
                    0 => highest + (ulong)random.Next(1, 5000),
                    1 => highest > 0 ? highest - (ulong)random.Next(0, (int)Math.Min(highest, 3000UL)) : 1,
                    _ => (ulong)Math.Max(1L, (long)highest + random.Next(-20, 20)),
                };
                if (seq == 0) seq = 1;
                bool expected = seq > highest || (highest - seq < (ulong)size && !seen.Contains(seq));
                Assert.Equal(expected, w.Check(seq));
                if (random.Next(4) == 0) continue; // a forgery: checked, never committed
                Assert.Equal(expected, w.Commit(seq));
                if (expected)
                {
                    seen.Add(seq);
                    highest = Math.Max(highest, seq);
                }
                Assert.Equal(highest, w.Highest);
            }
        }
    }

    [Fact]
    public void A_jump_larger_than_the_ring_clears_it()
    {
        var w = new ReplayWindow(128);
        for (ulong s = 1; s <= 128; s++) Assert.True(w.Commit(s));
        Assert.True(w.Commit(1_000_000));
        for (ulong s = 1_000_000 - 127; s < 1_000_000; s++) Assert.True(w.Check(s));
        Assert.True(w.Commit(uint.MaxValue));
        Assert.True(w.Check(uint.MaxValue - 1));
        Assert.False(w.Check(uint.MaxValue));
    }
}
