package serve

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI is the HTTP contract of every route routes registers, served
// at GET /openapi.json. TestOpenAPIMatchesRoutes keeps the two in step:
// a route added without its description, or described but gone, fails.
//
//go:embed openapi.json
var openAPI []byte

// openapi answers GET /openapi.json. It needs no token: the contract is
// no secret, and clients read it before they have one.
func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, jsonType, openAPI)
}
