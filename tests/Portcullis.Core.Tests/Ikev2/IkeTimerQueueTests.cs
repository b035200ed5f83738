using Portcullis.Core.Ikev2;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>
/// The engine's timer queue (IkeEngine.Timers.cs). Every engine in this assembly also checks the queue against a walk
/// over all its SAs on each read (TestAssemblySetup), so every other IKEv2 test checks it too; these cover what they
/// do not: hours of rekeys and liveness checks, and the queue's size.
/// </summary>
public class IkeTimerQueueTests
{
    [Fact]
    public void Hours_of_rekeys_and_liveness_checks_fire_on_time_from_the_queue()
    {
        ConnectionTuning tuning = new(RekeyTime: TimeSpan.FromMinutes(7), ChildRekeyTime: TimeSpan.FromMinutes(3), DpdDelay: TimeSpan.FromSeconds(40));
        var pair = new EnginePair(MakeConfig(tuning.Apply(Connection(left: true))), MakeConfig(Connection(left: false)));
        pair.Establish();
        pair.Drive(TimeSpan.FromHours(3));

        // The initiator rekeys: 3 h / 3 min CHILD SA rekeys and 3 h / 7 min IKE SA rekeys (no rand_time here).
        var left = pair.Sent.Where(p => p.From == Side.Left && p.Header is { IsResponse: false, ExchangeType: Portcullis.Core.Ikev2.Wire.ExchangeType.CreateChildSa }).ToList();
        Assert.InRange(left.Count, 60 + 25 - 2, 60 + 25 + 2);
        Assert.Single(pair.Left.IkeSas, s => s.State == IkeSaState.Established);
        Assert.Single(pair.Right.IkeSas, s => s.State == IkeSaState.Established);
        // Each SA leaves at most a few stale entries behind before the queue drops them.
        Assert.InRange(pair.Left.TimerQueueLength, 1, 2 * pair.Left.IkeSas.Count + 1024);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Next_timeout_is_the_earliest_sa_and_follows_it_when_it_goes()
    {
        var pair = Create();
        pair.Establish();
        IkeSa sa = Assert.Single(pair.Left.IkeSas);
        DateTimeOffset? before = pair.Left.NextTimeout;
        Assert.NotNull(before);
        Assert.True(pair.Left.Terminate(pair.Now, "net") > 0);
        // The DELETE is outstanding: its retransmission is now the earliest timer.
        Assert.Equal(pair.Now + new IkeEngineOptions().RetransmitDelay(0), pair.Left.NextTimeout);
        pair.Drive();
        Assert.Equal(IkeSaState.Deleted, sa.State);
        Assert.Null(pair.Left.NextTimeout);
    }

    private sealed record ConnectionTuning(TimeSpan RekeyTime, TimeSpan ChildRekeyTime, TimeSpan DpdDelay)
    {
        public Portcullis.Core.Config.ConnectionConfig Apply(Portcullis.Core.Config.ConnectionConfig c) => new()
        {
            Name = c.Name, Location = c.Location, Version = c.Version, LocalAddrs = c.LocalAddrs, RemoteAddrs = c.RemoteAddrs,
            Proposals = c.Proposals, Encap = c.Encap, Local = c.Local, Remote = c.Remote,
            RekeyTime = RekeyTime, RandTime = TimeSpan.Zero, DpdDelay = DpdDelay,
            Children = c.Children.Select(ch => new Portcullis.Core.Config.ChildConfig
            {
                Name = ch.Name, Location = ch.Location, LocalTs = ch.LocalTs, RemoteTs = ch.RemoteTs, EspProposals = ch.EspProposals,
                Mode = ch.Mode, StartAction = ch.StartAction, CloseAction = ch.CloseAction, RekeyTime = ChildRekeyTime, RandTime = TimeSpan.Zero,
            }).ToList(),
        };
    }
}
