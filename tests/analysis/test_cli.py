"""`consult analysis ...` commands: propose themes and count words from the command line."""

from consult.analysis import services
from consult.extensions import db


def test_propose_and_count_from_the_command_line(runner, scenario):
    """The commands run the jobs in this process and print their outcome."""
    result = runner.invoke(
        args=["analysis", "propose", str(scenario.open_question.id), "--topics", "3"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("done:")
    db.session.expire_all()
    assert len(services.topics_of(scenario.open_question)) == 3
    result = runner.invoke(args=["analysis", "words", str(scenario.words_question.id)])
    assert result.exit_code == 0 and "done:" in result.output


def test_commands_refuse_bad_input(runner, scenario):
    """Unknown questions and a worker without Redis are clear errors."""
    result = runner.invoke(args=["analysis", "words", "99999"])
    assert result.exit_code != 0 and "No question" in result.output
    result = runner.invoke(args=["analysis", "worker"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output
