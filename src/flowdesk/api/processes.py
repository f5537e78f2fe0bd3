"""/processes/{key} and /processes/{key}/versions/{n}: undeploying what no instance uses."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..engine.process import undeploy
from .auth import principal, runtime

blp = Blueprint("processes", __name__, url_prefix="/api/v1/processes", description="Undeploying processes")


@blp.route("/<process_key>")
class ProcessItem(MethodView):
    @blp.response(204)
    def delete(self, process_key):
        """Undeploy every version of a process (modelers, admins; audited).

        Refused (409, `instances`: how many) while any instance, running or finished, runs a
        version or called one: its history is read through the version. Its timer starts stop;
        messages and signals no longer start it.
        """
        undeploy.undeploy(runtime(), principal(), process_key)


@blp.route("/<process_key>/versions/<int(max=2147483647):version>")
class ProcessVersionItem(MethodView):
    @blp.response(204)
    def delete(self, process_key, version):
        """Undeploy one version of a process (modelers, admins; audited).

        Refused (409) while any instance, running or finished, runs or called it. Afterwards the
        highest remaining version is the latest: new instances, timer, message and signal starts
        use it. A later deploy numbers its version after the highest remaining one.
        """
        undeploy.undeploy(runtime(), principal(), process_key, version)
