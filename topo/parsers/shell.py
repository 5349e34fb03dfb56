"""Unix shell prompts and echoed commands around a pasted trace (shared by the text parsers).

People publish a trace the way their terminal showed it: the command they typed, with the
prompt in front, then the output, then the next prompt::

    ubuntu@ip-172-31-16-85:~$ traceroute 8.8.8.8
    traceroute to 8.8.8.8 (8.8.8.8), 30 hops max, 60 byte packets
     1  240.1.228.12  8.62 ms ...
    [ec2-user@ip-10-0-10-78 ~]$

The command that produced a trace is worth keeping (``meta["command"]``: its options say
how it was run, its last word what it was asked to trace); a prompt alone says nothing.
Prompts read: ``$``, ``#``, ``%`` after nothing, a path (``~``, ``/root``), a word
(``bash-5.1#``), ``user@host`` with or without ``:path``, or ``[user@host path]``.

>>> shell_command("ubuntu@ip-172-31-16-85:~$ traceroute 8.8.8.8", ("traceroute",))
'traceroute 8.8.8.8'
>>> shell_command("root@host:/home/ubuntu# sudo mtr -zn 8.8.8.8", ("mtr",))
'sudo mtr -zn 8.8.8.8'
>>> shell_command("$ ping 8.8.8.8", ("traceroute",)) is None
True
>>> is_bare_prompt("[ec2-user@ip-10-0-10-78 ~]$"), is_bare_prompt(" 1  192.0.2.1  0.5 ms")
(True, False)
>>> command_target("mtr -b -T -r -c 30 1.2.3.4", takes_value="cims")
'1.2.3.4'
"""

from __future__ import annotations

import re

#: A prompt, up to and including its ``$``/``#``/``%``.
PROMPT = (
    r"(?:\[[^\]\r\n]{1,120}\]"
    r"|[\w.-]{1,64}(?:@[\w.-]{1,253})?(?::?[~/][^\s$#%]{0,200})?"
    r"|[~/][^\s$#%]{0,200})?\s?[$#%]"
)
_COMMAND = re.compile(
    rf"^\s*(?:{PROMPT}\s*)?(?P<cmd>(?:sudo(?:\s+-\S+)*\s+)?(?:\S*/)?(?P<program>[\w.+-]+)"
    r"(?:\s+\S(?:.*\S)?)?)\s*$"
)
_BARE_PROMPT = re.compile(rf"^\s*{PROMPT}\s*$")


def shell_command(line: str, programs: tuple[str, ...]) -> str | None:
    """The command ``line`` runs (without the prompt) when it runs one of ``programs``,
    else ``None``. A command typed without a prompt counts too (``traceroute google.com``)."""
    match = _COMMAND.match(line)
    if match is None or match["program"] not in programs:
        return None
    return match["cmd"]


def is_bare_prompt(line: str) -> bool:
    """True for a prompt with nothing typed after it (the shell waiting: nothing to read)."""
    return _BARE_PROMPT.match(line) is not None


def command_target(command: str, *, takes_value: str = "") -> str | None:
    """The first word of ``command`` after the program that is neither an option nor the
    value of one (``takes_value``: the one-letter options followed by a value), else ``None``.
    """
    words = command.split()
    if words and words[0] == "sudo":
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
    skip = False
    for word in words[1:]:  # after the program
        if skip:
            skip = False
        elif word.startswith("--"):
            continue
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            first = next((i for i, ch in enumerate(letters) if ch in takes_value), None)
            skip = first == len(letters) - 1  # the value is the next word
        else:
            return word
    return None
